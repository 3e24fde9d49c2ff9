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
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? input.fileHandleForWriting.close()
    // The blocking reads run on Dispatch threads: on Swift's cooperative pool (as wide as the machine has cores, 2
    // here) they would hold every thread while the command runs, and the proxy's own tasks (a key refetch the
    // command is waiting for) could not run until the command timed out.
    async let stdoutData = readToEnd(out.fileHandleForReading)
    async let stderrData = readToEnd(err.fileHandleForReading)
    let deadline = ContinuousClock.now + timeout
    while process.isRunning {
        if ContinuousClock.now > deadline { process.terminate() }
        // SIGTERM may be blocked (see `BackgroundCommand.stop(grace:)`).
        if ContinuousClock.now > deadline + .seconds(2) { kill(process.processIdentifier, SIGKILL) }
        try await Task.sleep(for: .milliseconds(20))
    }
    return CommandResult(status: process.terminationStatus,
                         stdout: String(decoding: await stdoutData, as: UTF8.self),
                         stderr: String(decoding: await stderrData, as: UTF8.self))
}

/// Everything `handle` delivers until its end, read on a Dispatch thread.
private func readToEnd(_ handle: FileHandle) async -> Data {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: handle.readDataToEndOfFile()) }
    }
}

/// `kubectl` with a kubeconfig.
func kubectl(_ kubeconfig: String, _ arguments: String..., stdin: String? = nil, timeout: Duration = .seconds(30)) async throws -> CommandResult {
    try await run("/usr/bin/kubectl", ["--kubeconfig", kubeconfig, "--request-timeout=20s"] + arguments, stdin: stdin, timeout: timeout)
}

/// A long-running command whose output is read while it runs (`kubectl get -w`, `logs -f`, `port-forward`).
final class BackgroundCommand: @unchecked Sendable {
    // @unchecked: `output` is guarded by `lock`; the process is only touched by the owning test.
    private let process = Process()
    private let lock = NSLock()
    private var output = Data()

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readChunks { [weak self] data in
            guard let self else { return }
            self.lock.lock()
            self.output.append(data)
            self.lock.unlock()
        }
        try process.run()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: output, as: UTF8.self)
    }

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
    /// vanishes). A command started from Swift's or Dispatch's threads inherits their blocked signals, SIGTERM among
    /// them: curl never sees it (Go programs such as kubectl unblock it).
    func stop(grace: Duration = .seconds(2)) {
        if process.isRunning { process.terminate() }
        let deadline = ContinuousClock.now + grace
        while process.isRunning, ContinuousClock.now < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
