import Foundation
import KubeClient
import Logging
import Prometheus
@testable import RBACController
import Testing
import VZAuthTestSupport

@Suite("RBAC controller readiness and warnings")
struct ReadinessTests {
    private static func pair(_ result: (log: Bool, suppressed: Int)) -> [Int] { [result.log ? 1 : 0, result.suppressed] }

    @Test("a repeated warning is let through once per interval, counting the ones held back")
    func rateLimit() {
        var limit = WarningRateLimit(interval: .seconds(5))
        let start = ContinuousClock.now
        #expect(Self.pair(limit.admit(now: start)) == [true ? 1 : 0, 0])
        #expect(limit.admit(now: start + .seconds(1)) == (false, 1))
        #expect(limit.admit(now: start + .seconds(4)) == (false, 2))
        #expect(limit.admit(now: start + .seconds(5)) == (true, 2))
        limit.reset()
        #expect(limit.admit(now: start + .seconds(6)) == (true, 0))
    }

    @Test("without the API server: not ready, and one warning with the reason, not one per retry")
    func unreachable() async throws {
        var election = LeaderElectionConfiguration(namespace: "verrazzano-system", identity: "lonely")
        election.retryPeriod = .milliseconds(100)
        let client = KubernetesClient(connection: try KubeConnection(serverURL: "http://127.0.0.1:1",
                                                                     credential: .bearerToken("t")))
        let recorder = LogRecorder()
        let controller = RBACController(client: client, configuration: ControllerConfiguration(leaderElection: election),
                                        metrics: ControllerMetrics(registry: PrometheusCollectorRegistry()),
                                        logger: recorder.logger())
        #expect(!controller.readiness.ready, "not ready before the API server was reached")
        let task = Task { await controller.run() }
        func leaseWarnings() -> [LogRecorder.Entry] {
            recorder.entries.filter { $0.level == .warning && $0.message.contains("Lease") }
        }
        // The first failed attempt warns (however slow the machine), then retries every 100 ms stay quiet for the
        // rate limit's 5 s.
        for _ in 0..<200 where leaseWarnings().isEmpty {
            try await Task.sleep(for: .milliseconds(50))
        }
        let firstWarning = ContinuousClock.now
        try await Task.sleep(for: .milliseconds(1000))
        #expect(!controller.readiness.ready)
        #expect(controller.readiness.detail.contains("cannot reach the API server"), "\(controller.readiness.detail)")
        let warnings = leaseWarnings()
        // One warning per 5 s at most: exactly one when the machine kept the 1 s wait under 5 s, as it normally
        // does; a starved machine may have let a second interval begin.
        let intervals = 1 + Int((ContinuousClock.now - firstWarning) / .seconds(5))
        #expect(warnings.count >= 1 && warnings.count <= intervals, "\(warnings.map(\.message)) in \(intervals) interval(s)")
        #expect(warnings.first?.metadata["reason"] != nil)
        task.cancel()
        await task.value
        try await client.shutdown()
    }

    @Test("the leader is ready once its watches have synced")
    func readyOnceSynced() async throws {
        try await ControllerHarness.with { harness in
            let running = harness.startController()
            #expect(await eventually { running.controller.isLeader && running.controller.readiness.ready },
                    "\(running.controller.readiness.detail)")
            await running.stop()
        }
    }
}
