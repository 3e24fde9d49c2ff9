import ArgumentParser

/// The flags of `vzauth rbac-controller`. Every option is optional here so that a `--config` file can supply it;
/// defaults are applied when the settings are resolved (see ``RBACControllerSettings``).
struct RBACControllerOptions: ParsableArguments {
    @OptionGroup var configFile: ConfigOptions

    @OptionGroup var kube: KubeconfigOptions

    @Option(help: "Namespace of the leader-election Lease. (default: verrazzano-system)")
    var leaderElectionNamespace: String?

    @Option(help: "Name of the leader-election Lease. (default: vzauth-rbac-controller)")
    var leaderElectionID: String?

    @Option(help: "This replica's identity in the Lease (default: $POD_NAME, else the host name).")
    var identity: String?

    @Option(help: "Namespace whose VerrazzanoProject resources are reconciled. (default: verrazzano-mc)")
    var projectsNamespace: String?

    @Option(help: "Seconds between full reconciliations without any change. (default: 600)")
    var resyncPeriod: Int?

    @Option(help: "Writes one pass keeps in flight at most (1 writes one at a time). (default: 16)")
    var maxConcurrentWrites: Int?

    @Option(help: "HOST:PORT of the /healthz, /readyz and /metrics listener. (default: 0.0.0.0:8776)")
    var managementListen: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical. (default: info)")
    var logLevel: String?

    @Option(help: "Log line format: text (key=value, for people) or json (one object a line, for log pipelines). (default: text)")
    var logFormat: String?
}
