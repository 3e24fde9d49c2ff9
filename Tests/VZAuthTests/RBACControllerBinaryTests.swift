import Foundation
import KubeClient
import NIOHTTP1
import Testing
import VZAuthTestSupport

/// Runs the real `vzauth rbac-controller` against the API server double.
@Suite("vzauth rbac-controller binary", .serialized)
struct RBACControllerBinaryTests {
    @Test("reconciles a project, serves health and metrics, and on SIGTERM releases the Lease and exits 0")
    func lifecycle() async throws {
        var configuration = KubeAPIEmulator.Configuration()
        configuration.additionalResources = [.verrazzanoProject, .verrazzano]
        let server = try await KubeAPIEmulator.start(configuration: configuration)
        for name in ["verrazzano-mc", "verrazzano-system"] {
            try server.upsert(JSONValue.object(["metadata": ["name": .string(name)]]), resource: "namespaces")
        }
        try server.upsert(JSONValue.object([
            "apiVersion": "clusters.verrazzano.io/v1alpha1", "kind": "VerrazzanoProject",
            "metadata": ["name": "sales", "namespace": "verrazzano-mc"],
            "spec": ["placement": ["clusters": [["name": "local"]]], "template": ["namespaces": [["metadata": ["name": "sales-app"]]]]],
        ]), resource: "verrazzanoprojects", group: "clusters.verrazzano.io", namespace: "verrazzano-mc")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-rbac-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let kubeconfig = try server.writeKubeconfig(in: directory)

        let running = try await BinaryLifecycleTests.start(
            ["--kubeconfig", kubeconfig.path, "--identity", "binary-test"],
            command: ["rbac-controller", "--management-listen", "127.0.0.1:0"], listeners: ["management"])
        defer { if running.process.isRunning { running.process.terminate() } }
        let management = "http://127.0.0.1:\(running.managementPort)"
        #expect(try await BinaryLifecycleTests.get(management + "/healthz").0 == .ok)

        func state() -> String? {
            guard let data = server.object(resource: "verrazzanoprojects", group: "clusters.verrazzano.io",
                                           namespace: "verrazzano-mc", name: "sales"),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
            return (object["status"] as? [String: Any])?["state"] as? String
        }
        let deadline = ContinuousClock.now + .seconds(15)
        while state() != "Succeeded", ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(state() == "Succeeded", "\(running.output.text)")
        #expect(server.objectNames(resource: "rolebindings", group: "rbac.authorization.k8s.io", namespace: "sales-app")
            == ["admin", "verrazzano-project-admin", "verrazzano-project-monitor", "view"])
        // The pass that wrote the status ends after posting its Events.
        var metrics = ""
        let metricsDeadline = ContinuousClock.now + .seconds(5)
        repeat {
            metrics = try await BinaryLifecycleTests.get(management + "/metrics").1
            // The counter is exported at 0 from the start: wait for the pass to be counted.
            if metrics.contains(#"vzauth_rbac_controller_reconciles_total{result="success"}"#),
               !metrics.contains(#"vzauth_rbac_controller_reconciles_total{result="success"} 0"#) { break }
            try await Task.sleep(for: .milliseconds(50))
        } while ContinuousClock.now < metricsDeadline
        #expect(metrics.contains("vzauth_rbac_controller_leader 1.0"), "\(metrics)")
        #expect(metrics.contains(#"vzauth_rbac_controller_reconciles_total{result="success"}"#), "\(metrics)")
        #expect(metrics.contains(#"vzauth_rbac_controller_projects{state="Succeeded"} 1.0"#), "\(metrics)")

        kill(running.process.processIdentifier, SIGTERM)
        let exitDeadline = ContinuousClock.now + .seconds(10)
        while running.process.isRunning, ContinuousClock.now < exitDeadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!running.process.isRunning)
        #expect(running.process.terminationStatus == 0, "\(running.output.text)")
        let lease = server.object(resource: "leases", group: "coordination.k8s.io", namespace: "verrazzano-system",
                                  name: "vzauth-rbac-controller")
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        let spec = lease?["spec"] as? [String: Any]
        #expect(lease != nil)
        #expect(spec?["holderIdentity"] == nil, "the Lease is released on shutdown")
        #expect(running.output.text.contains("released the leadership"))
        try await server.shutdown()
    }
}
