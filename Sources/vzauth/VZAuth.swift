import ArgumentParser

/// The `vzauth` command: Verrazzano-style authentication and authorization for Kubernetes.
@main
struct VZAuth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vzauth",
        abstract: "Keycloak single sign-on and impersonation for the Kubernetes API.",
        discussion: """
            Run one of the subcommands. Each takes --config FILE with the same settings as YAML (keys named like \
            the flags); flags win over the file.
            """,
        version: BuildInfo.version,
        subcommands: [SandboxCommand.self, APIProxyCommand.self, OIDCProxyCommand.self, RBACControllerCommand.self, RBACCommand.self, ClusterCommand.self,
                      LoginCommand.self, KubeconfigCommand.self, VersionCommand.self]
    )
}

/// `vzauth version`.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")

    func run() {
        print("vzauth \(BuildInfo.version)")
    }
}

/// Facts about this build.
enum BuildInfo {
    /// The release version.
    static let version = "0.1.0"
}
