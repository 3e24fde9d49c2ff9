import ArgumentParser
import Foundation
import OIDC
import ProxyCore
import Logging
import NIOCore
import ServiceLifecycle
import VZAuthTestSupport
@testable import vzauth

/// The API proxy running in-process over TLS between an OIDC issuer double and a Kubernetes API server double,
/// plus what a kubectl user needs to reach it.
struct ProxyHarness: Sendable {
    let issuer: OIDCIssuerDouble
    let apiServer: KubeAPIEmulator
    let authority: TestCertificateAuthority
    let directory: URL
    let proxyPort: Int
    let managementPort: Int

    /// The proxy's URL.
    var proxyURL: String { "https://127.0.0.1:\(proxyPort)" }

    /// Writes a kubeconfig for `kubectl` that reaches the proxy (at `serverPath` under it) with `token`.
    func kubeconfig(token: String, name: String = "user", serverPath: String = "") throws -> String {
        let path = directory.appendingPathComponent("kubeconfig-\(name)").path
        let text = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: proxy
              cluster:
                server: \(proxyURL)\(serverPath)
                certificate-authority: \(authority.certificateFile.path)
            users:
            - name: keycloak-user
              user:
                token: \(token)
            contexts:
            - name: proxy
              context:
                cluster: proxy
                user: keycloak-user
                namespace: default
            current-context: proxy
            """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Starts the doubles and the proxy, runs `body`, and stops everything (an `issuer` given is shared: the caller
    /// stops it). With `waitForKeys`, `body` runs once every issuer's keys are loaded (or after 10 s).
    static func with(extraArguments: [String] = [], issuer sharedIssuer: OIDCIssuerDouble? = nil, waitForKeys: Bool = true,
                     configureAPIServer: (inout KubeAPIEmulator.Configuration) -> Void = { _ in },
                     _ body: (ProxyHarness) async throws -> Void) async throws {
        let authority = try TestCertificateAuthority()
        let directory = authority.directory
        var apiConfiguration = KubeAPIEmulator.Configuration(
            tlsConfiguration: try authority.makeServerCertificate(name: "apiserver").serverTLSConfiguration())
        configureAPIServer(&apiConfiguration)
        let apiServer = try await KubeAPIEmulator.start(configuration: apiConfiguration)
        let issuer = sharedIssuer ?? OIDCIssuerDouble()
        if sharedIssuer == nil { try await issuer.start() }
        let proxyCertificate = try authority.makeServerCertificate(name: "proxy")
        let upstreamKubeconfig = try apiServer.writeKubeconfig(in: directory, certificateAuthorityFile: authority.certificateFile)

        let arguments = [
            "--listen", "127.0.0.1:0", "--management-listen", "127.0.0.1:0",
            "--tls-cert-file", proxyCertificate.certificateFile.path,
            "--tls-private-key-file", proxyCertificate.privateKeyFile.path,
            "--oidc-issuer", issuer.issuer, "--oidc-client-id", "verrazzano-pkce", "--oidc-client-id", "verrazzano-pg",
            "--kubeconfig", upstreamKubeconfig.path, "--log-level", "warning",
        ] + extraArguments
        let options = try APIProxyOptions.parse(arguments)
        let settings = try APIProxySettings.resolve(options)
        let services = try APIProxyRuntime(settings: settings).makeServices(logger: LogOutput().logger(label: "test", level: settings.logLevel))
        let outcome = await Result {
            try await withRunningProxy(services, waitForKeys: waitForKeys) { proxyPort, managementPort in
                try await body(ProxyHarness(issuer: issuer, apiServer: apiServer, authority: authority, directory: directory,
                                            proxyPort: proxyPort, managementPort: managementPort))
            }
        }
        try await apiServer.shutdown()
        if sharedIssuer == nil { try await issuer.shutdown() }
        try outcome.get()
    }
}

/// Runs a command line tool with a deadline and collects its output.
struct CommandResult: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// - Parameter environment: The command's whole environment; `nil`: this process's.
func run(_ executable: String, _ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil,
         timeout: Duration = .seconds(30)) async throws -> CommandResult {
    // A ChildProcess, not Foundation's Process (whose run() can crash the test process on Linux: see ChildProcess).
    let child = try ChildProcess(executable, arguments, environment: environment, input: Data((stdin ?? "").utf8),
                                 separateErrors: true)
    let status = await child.waitForExit(timeout: timeout)
    return CommandResult(status: status, stdout: child.text, stderr: child.errorText)
}

/// `kubectl` with a kubeconfig.
func kubectl(_ kubeconfig: String, _ arguments: String..., stdin: String? = nil, timeout: Duration = .seconds(30)) async throws -> CommandResult {
    try await run("/usr/bin/kubectl", ["--kubeconfig", kubeconfig, "--request-timeout=20s"] + arguments, stdin: stdin, timeout: timeout)
}

/// A long-running command whose output is read while it runs (`kubectl get -w`, `logs -f`, `port-forward`).
final class BackgroundCommand: Sendable {
    private let process: ChildProcess

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        process = try ChildProcess(executable, arguments,
                                   environment: environment.isEmpty ? nil : ProcessInfo.processInfo.environment.merging(environment) { _, new in new })
    }

    var text: String { process.text }

    /// Waits until the output satisfies `condition`, at most `timeout`.
    @discardableResult
    func waitFor(timeout: Duration = .seconds(15), _ condition: (String) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(text) { return true }
            try? await Task.sleep(for: .milliseconds(25))
        }
        return condition(text)
    }

    var isRunning: Bool { process.isRunning }

    /// Ends the command: SIGTERM, then SIGKILL if it still runs after `grace` (`.zero`: at once, as a client that
    /// vanishes).
    func stop(grace: Duration = .seconds(2)) {
        if process.isRunning { process.terminate() }
        let deadline = ContinuousClock.now + grace
        while process.isRunning, ContinuousClock.now < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        while process.isRunning { usleep(1_000) }
    }
}
