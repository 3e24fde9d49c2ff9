import ArgumentParser
import NIOCore
import Foundation
import KubeClient
import Logging
import ProxyCore
import ServiceLifecycle
import Testing
import VZAuthTestSupport
@testable import vzauth

/// `/metrics` on each management listener: process metrics, build info, counters at zero from the start, and every
/// exported metric documented in `docs/metrics.md`.
@Suite("metrics", .serialized)
struct MetricsTests {
    /// The metric names `docs/metrics.md` documents (the first column of its tables).
    static func documentedNames() throws -> Set<String> {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/metrics.md")
        let text = try String(contentsOf: file, encoding: .utf8)
        var names: Set<String> = []
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let cell = line.dropFirst(3)
            if let end = cell.firstIndex(of: "`") { names.insert(String(cell[..<end])) }
        }
        return names
    }

    /// The metric families a scrape exports (its `# TYPE` lines).
    static func exportedNames(_ scrape: String) -> Set<String> {
        Set(scrape.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("# TYPE ") else { return nil }
            return line.split(separator: " ").dropFirst(2).first.map(String.init)
        })
    }

    /// The value of the sample line starting with `series` (name and labels exactly as written).
    static func value(_ scrape: String, _ series: String) -> Double? {
        for line in scrape.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    /// Checks what every management listener exports.
    static func expectCommon(_ scrape: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let cpu = value(scrape, "process_cpu_seconds_total")
        #expect(cpu != nil && cpu! >= 0, "\(scrape)", sourceLocation: sourceLocation)
        let memory = value(scrape, "process_resident_memory_bytes") ?? 0
        #expect(memory > 1_000_000, "resident memory is in bytes", sourceLocation: sourceLocation)
        let open = value(scrape, "process_open_fds") ?? 0
        let max = value(scrape, "process_max_fds") ?? 0
        #expect(open >= 3 && max >= open, sourceLocation: sourceLocation)
        let started = value(scrape, "process_start_time_seconds") ?? 0
        let now = Date().timeIntervalSince1970
        // The test process started (in-process proxies) or the binary did, within the last day.
        #expect(started > now - 86_400 && started <= now + 1, "\(started) vs \(now)", sourceLocation: sourceLocation)
        #expect(scrape.contains("# TYPE process_cpu_seconds_total counter"), sourceLocation: sourceLocation)
        #expect(value(scrape, #"vzauth_build_info{version="\#(BuildInfo.version)",swift_version="\#(BuildInfo.swiftVersion)"}"#) == 1,
                "\(scrape)", sourceLocation: sourceLocation)
    }

    /// Fails for every exported metric missing from `docs/metrics.md`.
    static func expectDocumented(_ scrape: String, component: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let documented = try documentedNames()
        let missing = exportedNames(scrape).subtracting(documented).sorted()
        #expect(missing.isEmpty, "\(component) exports metrics docs/metrics.md does not list: \(missing)",
                sourceLocation: sourceLocation)
    }

    @Test("process collectors parse /proc/self/stat even with spaces and parentheses in the command name")
    func statFields() {
        let fields = ProcessMetrics.statFields("1234 (my (odd) name) S 1 2 3") ?? []
        #expect(fields.first == "S" && fields.count == 4)
    }

    @Test("the API proxy: process metrics, build info, zero-initialized series, every metric documented")
    func apiProxy() async throws {
        try await ProxyHarness.with { harness in
            // A request answered and one refused, so that the families made on first use are exported too.
            let (_, _) = try await BinaryLifecycleTests.get("http://127.0.0.1:\(harness.managementPort)/healthz")
            let scrape = try await BinaryLifecycleTests.get("http://127.0.0.1:\(harness.managementPort)/metrics").1
            Self.expectCommon(scrape)
            let issuer = harness.issuer.issuer
            #expect(Self.value(scrape, #"vzauth_oidc_key_refreshes_total{issuer="\#(issuer)",trigger="periodic",outcome="success"}"#) == 0,
                    "\(scrape)")
            #expect(Self.value(scrape, #"vzauth_oidc_key_refreshes_total{issuer="\#(issuer)",trigger="unknown_key",outcome="transport"}"#) == 0)
            #expect(Self.value(scrape, #"vzauth_oidc_key_refreshes_total{issuer="\#(issuer)",trigger="startup",outcome="success"}"#) == 1)
            try Self.expectDocumented(scrape, component: "api-proxy")
        }
    }

    @Test("the OIDC proxy: logins, refreshes and logouts at zero from the start, every metric documented")
    func oidcProxy() async throws {
        try await OIDCProxyHarness.withIssuer { issuer in
            try await OIDCProxyHarness.with(issuer: issuer) { harness in
                let scrape = try await BinaryLifecycleTests.get("http://127.0.0.1:\(harness.managementPort)/metrics").1
                Self.expectCommon(scrape)
                for series in [#"vzauth_oidc_proxy_logins_total{outcome="started"}"#, #"vzauth_oidc_proxy_logins_total{outcome="completed"}"#,
                               #"vzauth_oidc_proxy_logins_total{outcome="failed"}"#,
                               #"vzauth_oidc_proxy_session_refreshes_total{outcome="renewed"}"#,
                               #"vzauth_oidc_proxy_logouts_total{kind="back_channel"}"#] {
                    #expect(Self.value(scrape, series) == 0, "\(series) in \(scrape)")
                }
                try Self.expectDocumented(scrape, component: "oidc-proxy")
            }
        }
    }

    @Test("the RBAC controller: reconciles at zero from the start, every metric documented")
    func rbacController() async throws {
        let server = try await KubeAPIEmulator.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-metrics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let kubeconfig = try server.writeKubeconfig(in: directory)
        let settings = try RBACControllerSettings.resolve(RBACControllerOptions.parse([
            "--kubeconfig", kubeconfig.path, "--management-listen", "127.0.0.1:0", "--identity", "metrics-test"]))
        let services = try RBACControllerRuntime(settings: settings)
            .makeServices(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let group = ServiceGroup(services: services.all, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let outcome = await Result {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                defer { tasks.cancelAll() }
                let port = try await services.management.localAddress.port!
                let scrape = try await BinaryLifecycleTests.get("http://127.0.0.1:\(port)/metrics").1
                Self.expectCommon(scrape)
                #expect(Self.value(scrape, #"vzauth_rbac_controller_reconciles_total{result="error"}"#) == 0, "\(scrape)")
                try Self.expectDocumented(scrape, component: "rbac-controller")
                await group.triggerGracefulShutdown()
            }
        }
        await services.shutdown()
        try await server.shutdown()
        try outcome.get()
    }

    @Test("docs/metrics.md lists every metric the code defines")
    func documentedList() throws {
        let documented = try Self.documentedNames()
        for name in ProcessMetrics.names + ["vzauth_build_info", "vzauth_api_proxy_requests_total",
                                            "vzauth_oidc_proxy_logins_total", "vzauth_rbac_controller_writes_total"] {
            #expect(documented.contains(name), "\(name)")
        }
    }
}
