import Logging
import ProxyCore

/// The RBAC controller's settings after merging flags, the config file and defaults, and checking them.
struct RBACControllerSettings: Sendable {
    /// The kubeconfig; `nil`: as kubectl finds one (in a pod the service account, else `$KUBECONFIG`, else
    /// `~/.kube/config`).
    var kubeconfig: String?
    var kubeContext: String?
    var leaderElectionNamespace: String
    var leaderElectionID: String
    /// This replica's identity in the Lease; `nil`: `$POD_NAME`, else the host name.
    var identity: String?
    var projectsNamespace: String
    /// Seconds between full reconciliations.
    var resyncPeriod: Int
    var maxConcurrentWrites: Int
    var management: ListenerConfiguration
    var logLevel: Logger.Level
    var logFormat: LogFormat = .text

    /// The keys a `--config` file may use: the long flag names.
    static let settingNames: Set<String> = KubeconfigOptions.settingNames.union([
        "leader-election-namespace", "leader-election-id", "identity", "projects-namespace", "resync-period",
        "max-concurrent-writes", "management-listen", "log-level", "log-format",
    ])

    /// Resolves `options` over the `--config` file and the defaults.
    static func resolve(_ options: RBACControllerOptions) throws(SettingsProblems) -> RBACControllerSettings {
        var file = options.configFile.load()
        var problems: [String] = []

        let (kubeconfig, kubeContext) = options.kube.resolve(file: &file)
        if let kubeconfig { SettingChecks.checkReadable(kubeconfig, flag: "--kubeconfig", into: &problems) }
        let leaseNamespace = options.leaderElectionNamespace ?? file.string("leader-election-namespace") ?? "verrazzano-system"
        let leaseID = options.leaderElectionID ?? file.string("leader-election-id") ?? "vzauth-rbac-controller"
        let identity = options.identity ?? file.string("identity")
        let projectsNamespace = options.projectsNamespace ?? file.string("projects-namespace") ?? "verrazzano-mc"
        if leaseNamespace.isEmpty || leaseID.isEmpty || projectsNamespace.isEmpty {
            problems.append("--leader-election-namespace, --leader-election-id and --projects-namespace must not be empty")
        }
        let resyncPeriod = options.resyncPeriod ?? file.int("resync-period") ?? 600
        if resyncPeriod < 10 { problems.append("--resync-period must be at least 10 seconds") }
        let maxWrites = options.maxConcurrentWrites ?? file.int("max-concurrent-writes") ?? 16
        if !(1...256).contains(maxWrites) {
            problems.append("--max-concurrent-writes must be between 1 and 256, got \(maxWrites)")
        }
        let management = ServerSettings.address(options.managementListen, key: "management-listen",
                                                default: "0.0.0.0:8776", file: &file, problems: &problems)
        let level = ServerSettings.logLevel(options.logLevel, file: &file, problems: &problems)
        let format = LogFormat.resolve(options.logFormat, file: &file, problems: &problems)

        file.reportUnknownKeys(known: Self.settingNames)
        problems.insert(contentsOf: file.problems, at: 0)
        guard problems.isEmpty, let level, let format else { throw SettingsProblems(messages: problems) }
        return RBACControllerSettings(
            kubeconfig: kubeconfig, kubeContext: kubeContext, leaderElectionNamespace: leaseNamespace,
            leaderElectionID: leaseID, identity: identity, projectsNamespace: projectsNamespace,
            resyncPeriod: resyncPeriod, maxConcurrentWrites: maxWrites,
            management: ListenerConfiguration(host: management.host, port: management.port), logLevel: level, logFormat: format)
    }
}
