import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import VZAuthTestSupport

/// Runs the real `vzauth` binary: management endpoints, pass-through of the API server's own probe paths, and a
/// graceful SIGTERM that lets an in-flight request finish.
@Suite("vzauth binary", .serialized)
struct BinaryLifecycleTests {
    /// The `vzauth` executable next to the test bundle.
    static var binary: String {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if directory.lastPathComponent.hasSuffix(".xctest") { directory.deleteLastPathComponent() }
        return directory.appendingPathComponent("vzauth").path
    }

    /// A started binary and the ports it reported.
    struct Running {
        let process: ChildProcess
        /// What it printed (standard output and error).
        var output: ChildProcess { process }
        /// The port of each listener (`api`, `management`).
        let ports: [String: Int]
        var proxyPort: Int { self.ports["api"] ?? 0 }
        var managementPort: Int { self.ports["management"] ?? 0 }
    }

    /// Collects a process's standard error.
    final class BackgroundOutput: @unchecked Sendable {
        // @unchecked: `data` is guarded by `lock`.
        private let lock = NSLock()
        private var data = Data()
        func append(_ more: Data) { lock.lock(); data.append(more); lock.unlock() }
        var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }
    }

    /// Starts `vzauth` with `command` and `arguments` and waits until each of `listeners` logs its address.
    static func start(
        _ arguments: [String],
        command: [String] = ["api-proxy", "--listen", "127.0.0.1:0", "--management-listen", "127.0.0.1:0"],
        listeners: [String] = ["api", "management"],
        environment: [String: String] = [:],
        launcher: [String] = []
    ) async throws -> Running {
        // e.g. setpriv as the launcher: the binary runs as another user, as in a pod.
        let program = launcher.first ?? binary
        let programArguments = (launcher.isEmpty ? [] : Array(launcher.dropFirst()) + [binary]) + command + arguments
        let process = try ChildProcess(program, programArguments,
                                       environment: environment.isEmpty ? nil : ProcessInfo.processInfo.environment.merging(environment) { $1 })
        let output = process
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            func port(of listener: String) -> Int? {
                for line in output.text.split(separator: "\n") where line.contains("listener=\(listener) ") && line.contains("listening") {
                    guard let address = line.range(of: "address=")?.upperBound,
                          let colon = line[address...].range(of: #":\d+"#, options: .regularExpression) else { continue }
                    return Int(line[colon].dropFirst())
                }
                return nil
            }
            let ports = Dictionary(uniqueKeysWithValues: listeners.compactMap { name in port(of: name).map { (name, $0) } })
            if ports.count == listeners.count {
                return Running(process: process, ports: ports)
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw TestFailure("vzauth did not start: \(output.text)")
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static func get(_ url: String, token: String? = nil) async throws -> (HTTPResponseStatus, String) {
        var request = HTTPClientRequest(url: url)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        return (response.status, String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    @Test("management endpoints, pass-through probes, and a graceful SIGTERM")
    func lifecycle() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "build the vzauth product first")
        let apiServer = try await KubeAPIEmulator.start()
        let issuer = OIDCIssuerDouble()
        try await issuer.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-bin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let kubeconfig = try apiServer.writeKubeconfig(in: directory)
        let running = try await Self.start(["--oidc-issuer", issuer.issuer, "--oidc-client-id", "verrazzano-pkce",
                                            "--kubeconfig", kubeconfig.path, "--shutdown-grace-period", "5"])
        defer { if running.process.isRunning { running.process.terminate() } }
        let management = "http://127.0.0.1:\(running.managementPort)"
        let proxy = "http://127.0.0.1:\(running.proxyPort)"

        #expect(try await Self.get(management + "/healthz").0 == .ok)
        var ready = false
        for _ in 0..<100 where !ready {
            ready = try await Self.get(management + "/readyz").0 == .ok
            if !ready { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(ready, "ready once the issuer's keys are loaded")

        let token = issuer.mint()
        // The API server's own /healthz and /metrics pass through the main listener.
        let (status, _) = try await Self.get(proxy + "/healthz", token: token)
        #expect(status == .ok)
        #expect(apiServer.requests.contains { $0.path == "/healthz" })
        _ = try await Self.get(proxy + "/20210501/api/v1/namespaces/default/configmaps", token: token)
        _ = try await Self.get(proxy + "/api/v1/namespaces", token: "garbage")

        let (_, metrics) = try await Self.get(management + "/metrics")
        #expect(metrics.contains(#"vzauth_api_proxy_requests_total{code="200"}"#), "\(metrics)")
        #expect(metrics.contains(#"vzauth_authentication_failures_total{reason="malformed"}"#), "\(metrics)")
        #expect(metrics.contains("vzauth_api_proxy_request_duration_seconds_bucket"))
        #expect(metrics.contains("vzauth_oidc_key_refreshes_total"))

        // A slow request in flight when SIGTERM arrives still completes.
        apiServer.setResponseDelay(.milliseconds(1500))
        async let slow = Self.get(proxy + "/api/v1/namespaces/default/configmaps", token: token)
        try await Task.sleep(for: .milliseconds(400))
        kill(running.process.processIdentifier, SIGTERM)
        let (slowStatus, _) = try await slow
        #expect(slowStatus == .ok, "the in-flight request finishes during the grace period")
        let deadline = ContinuousClock.now + .seconds(10)
        while running.process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!running.process.isRunning)
        #expect(running.process.terminationStatus == 0, "\(running.output.text)")
        #expect(running.output.text.contains("user=8f0e6c1e-3b7a-4d4f-9b1a-5c2d7e9f0a11"), "the access log names the user")
        #expect(!running.output.text.contains(token), "tokens never reach the logs")

        try await apiServer.shutdown()
        try await issuer.shutdown()
    }

    @Test("invalid flags exit with status 64 and list every problem")
    func invalidFlags() async throws {
        let result = try await run(Self.binary, ["api-proxy", "--listen", "bogus", "--clock-skew=-1"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--oidc-issuer is required"))
        #expect(result.stderr.contains("--listen"))
        #expect(result.stderr.contains("--clock-skew"))
        let version = try await run(Self.binary, ["version"])
        #expect(version.status == 0 && version.stdout.hasPrefix("vzauth "))
    }
}
