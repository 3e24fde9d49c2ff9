import ArgumentParser
import Foundation
import KubeClient
import Logging

/// `vzauth sandbox`: everything vzauth does, on this machine, in one process, with nothing else installed.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Try vzauth on loopback: an OpenID provider, a Kubernetes API, the RBAC controller and both proxies (development only).",
        discussion: """
            Starts, in this process and on 127.0.0.1: a development OpenID provider (login page, users alice, bob \
            and carol), a Kubernetes API server emulator that enforces RBAC (or the cluster of --kubeconfig), the \
            RBAC controller with a demo project hello, the API proxy (TLS, with a CA made in the folder) and the \
            OIDC proxy in front of a demo console. Writes kubeconfigs per user, the CA, each component's config \
            file and sandbox.json to --dir, and prints what to try. Ctrl-C stops everything; a second start \
            reuses the folder (same passwords, CA and ports).

            Never use it in production: passwords are kept in files, the issuer keeps sessions in memory.
            """)

    @Option(help: "The folder to keep and write the sandbox's files in.")
    var dir: String = "vzauth-sandbox"

    @Option(help: "Use this cluster instead of the emulator (its user must be allowed to impersonate, and to manage RBAC and the Verrazzano resources). (default: $KUBECONFIG's first file if set, else the emulator)")
    var kubeconfig: String?

    @Flag(help: "Use the emulator even when $KUBECONFIG is set.")
    var emulator: Bool = false

    @Option(help: "A YAML file of users (users: - username, password, groups, roles). (default: alice, bob and carol with generated passwords)")
    var users: String?

    @Option(help: "The OpenID provider's port. (default: a free one, or the previous start's)")
    var issuerPort: Int?

    @Option(help: "The API proxy's port. (default: a free one, or the previous start's)")
    var apiProxyPort: Int?

    @Option(help: "The console's (OIDC proxy's) port. (default: a free one, or the previous start's)")
    var consolePort: Int?

    @Option(help: "The emulated Kubernetes API server's port. (default: a free one, or the previous start's)")
    var kubernetesPort: Int?

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "warning"

    @Option(help: "Log line format: text or json.")
    var logFormat: String = "text"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be trace, debug, info, notice, warning, error or critical, got \"\(logLevel)\"")
        }
        guard let format = LogFormat(rawValue: logFormat) else {
            throw ValidationError("--log-format must be json or text, got \"\(logFormat)\"")
        }
        let output = LogOutput(format: format)
        defer { output.flush() }
        let logger = output.logger(label: "vzauth.sandbox", level: level)
        let requested = SandboxPorts.Requested(issuer: issuerPort, kubernetes: kubernetesPort, apiProxy: apiProxyPort,
                                               console: consolePort)
        let sandbox: Sandbox
        do {
            sandbox = try await Sandbox.start(
                Sandbox.Options(directory: dir, kubeconfig: emulator ? nil : kubeconfig ?? KubeConnection.environmentKubeconfig(), usersFile: users, ports: requested,
                                executable: KubeconfigCommand.executablePath(), logLevel: logLevel, logFormat: logFormat),
                logger: logger)
        } catch let error as SandboxError {
            throw ValidationError(error.description)
        }
        // The instructions once everything listens: what they say works the moment they appear.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await ServiceRunner.run(sandbox.services, logger: logger) { await sandbox.stop() } }
            try await sandbox.ready()
            FileHandle.standardOutput.write(Data((sandbox.instructions() + "\n").utf8))
            try await group.waitForAll()
        }
    }

}
