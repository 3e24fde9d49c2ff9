import Foundation
import KubeClient
import Logging
import Prometheus
@testable import RBACController
import Synchronization
import Testing
import VerrazzanoRBAC

@Suite("Plan executor and Event summaries (no I/O)")
struct PlanExecutorTests {
    @Test("forEach runs at most `limit` bodies at once and returns the results in element order")
    func boundedConcurrency() async {
        let running = Mutex<(now: Int, most: Int)>((0, 0))
        let results = await PlanExecutor.forEach(Array(0..<50), limit: 4) { element -> Int in
            running.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
            try? await Task.sleep(for: .milliseconds(Int.random(in: 1...5)))
            running.withLock { $0.now -= 1 }
            return element * 2
        }
        #expect(results == (0..<50).map { $0 * 2 })
        #expect(running.withLock { $0.most } == 4)
        #expect(await PlanExecutor.forEach([Int](), limit: 4) { $0 }.isEmpty)
        #expect(await PlanExecutor.forEach([1, 2, 3], limit: 0) { $0 } == [1, 2, 3], "a limit below 1 still runs one at a time")
    }

    @Test("an Event sums up a project's changes by reason, at most eight objects each")
    func eventText() {
        func action(_ reason: String, _ summary: String) -> (reason: String, summary: String) { (reason, summary) }
        let single = RBACController.eventText([action("Created", "RoleBinding a/admin")])
        #expect(single.reason == "Created")
        #expect(single.message == "Created RoleBinding a/admin")

        let many = (0..<10).map { action("Created", "RoleBinding a/b\($0)") } + [action("Labelled", "Namespace a")]
        let summed = RBACController.eventText(many)
        #expect(summed.reason == "Reconciled")
        #expect(summed.message == "Created " + (0..<8).map { "RoleBinding a/b\($0)" }.joined(separator: ", ")
            + " and 2 more; Labelled Namespace a")
    }

    @Test("stages: finalizer before everything, roles, then namespaces, then bindings, release last")
    func stages() async throws {
        let executor = PlanExecutor(client: KubernetesClient(connection: try! KubeConnection(serverURL: "http://127.0.0.1:1", credential: .none)),
                                    configuration: ControllerConfiguration(leaderElection: .init(namespace: "n", identity: "i")),
                                    metrics: ControllerMetrics(registry: .init()), logger: .init(label: "test"))
        let project = ObjectKey(namespace: "verrazzano-mc", name: "p")
        #expect(executor.stage(.setProjectFinalizers(project, finalizers: ["other", "project.verrazzano.io"], resourceVersion: nil)) == 0)
        #expect(executor.stage(.applyClusterRole(ClusterRole(metadata: KubeObjectMeta(name: "r")))) == 1)
        #expect(executor.stage(.labelNamespace(name: "a", labels: [:])) == 2)
        #expect(executor.stage(.deleteRoleBinding(namespace: "a", name: "b", uid: nil)) == 3)
        #expect(executor.stage(.setProjectFinalizers(project, finalizers: ["other"], resourceVersion: nil)) == 4)
        try await executor.client.shutdown()
    }

    @Test("timestamps are RFC 3339 in UTC, MicroTime with six fraction digits")
    func timestamps() {
        let date = Date(timeIntervalSince1970: 1_765_000_000.25)
        #expect(RBACController.rfc3339(date) == "2025-12-06T05:46:40Z")
        #expect(LeaderElector.microTime(date) == "2025-12-06T05:46:40.250000Z")
    }
}
