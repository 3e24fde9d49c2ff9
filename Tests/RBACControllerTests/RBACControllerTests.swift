import Foundation
import KubeClient
import RBACController
import Testing
import VZAuthTestSupport
import VerrazzanoRBAC

@Suite("RBAC controller against the API server double", .serialized)
struct RBACControllerTests {
    static let bindings = ["admin", "verrazzano-project-admin", "verrazzano-project-monitor", "view"]

    @Test("a new project gets its finalizer, namespace, four bindings, status Succeeded and Events; the catalogue and install bindings are applied")
    func createsEverything() async throws {
        try await ControllerHarness.with { harness in
            try harness.putProject("sales", namespaces: ["sales-app"])
            let running = harness.startController()
            let converged = await eventually { harness.projectState("sales") == "Succeeded" }
            #expect(converged)
            #expect(harness.roleBindingNames("sales-app") == Self.bindings)
            let admin = try #require(harness.roleBinding("sales-app", "admin"))
            #expect(admin.subjects == [.group("verrazzano-project-sales-admins")])
            #expect(admin.roleRef.name == "admin")
            #expect(admin.metadata.labels?[OwnershipLabels.projectKey] == "sales")
            let namespace = try #require(harness.json("namespaces", "sales-app"))
            #expect(namespace["metadata"]?["labels"]?["verrazzano-managed"]?.stringValue == "true")
            #expect(harness.server.objectNames(resource: "clusterroles", group: "rbac.authorization.k8s.io").count == 9 + 4,
                    "the catalogue and the cluster's cluster-admin, admin, edit and view")
            #expect(harness.clusterRoleBinding("verrazzano-admin")?.subjects == [.group("verrazzano-admins")])
            let project = try #require(harness.project("sales"))
            #expect(project["metadata"]?["finalizers"]?.arrayValue?.compactMap(\.stringValue) == ["project.verrazzano.io"])
            let condition = try #require(project["status"]?["conditions"]?.arrayValue?.first)
            #expect(condition["type"]?.stringValue == "Ready")
            #expect(condition["status"]?.stringValue == "True")
            #expect(condition["message"]?.stringValue == "1 namespace(s) and 4 role binding(s) are in place")
            #expect(await eventually {
                // One Event sums up the pass's changes to the project.
                harness.events("verrazzano-mc").contains {
                    $0.reason == "Reconciled" && $0.message == "FinalizerAdded finalizer project.verrazzano.io; Created Namespace sales-app, "
                        + "RoleBinding sales-app/admin, RoleBinding sales-app/verrazzano-project-admin, "
                        + "RoleBinding sales-app/verrazzano-project-monitor, RoleBinding sales-app/view"
                }
            })
            // Converged: once the pass that posted the Events is over (no write for 500 ms, however loaded the
            // machine), a later pass writes nothing.
            func writeCount() -> Int { harness.writes(by: "a").filter { !$0.path.contains("/leases/") }.count }
            var writes = writeCount()
            var quietSince = ContinuousClock.now
            let settleDeadline = ContinuousClock.now + .seconds(15)
            while ContinuousClock.now - quietSince < .milliseconds(500), ContinuousClock.now < settleDeadline {
                try await Task.sleep(for: .milliseconds(50))
                if writeCount() != writes { writes = writeCount(); quietSince = .now }
            }
            let passes = running.controller.completedPasses
            try harness.server.upsert(JSONValue.object(["metadata": ["name": "unrelated"]]), resource: "namespaces")
            #expect(await eventually { running.controller.completedPasses > passes })
            #expect(harness.writes(by: "a").filter { !$0.path.contains("/leases/") }.count == writes)
            await running.stop()
        }
    }

    @Test("changed subjects update the bindings; removing the override returns to the defaults")
    func subjectsChange() async throws {
        try await ControllerHarness.with { harness in
            try harness.putProject("sales", namespaces: ["sales-app"])
            let running = harness.startController()
            #expect(await eventually { harness.projectState("sales") == "Succeeded" })
            try harness.putProject("sales", namespaces: ["sales-app"], admins: [["kind": "User", "name": "alice"], ["kind": "Group", "name": "ops"]])
            #expect(await eventually {
                harness.roleBinding("sales-app", "verrazzano-project-admin")?.subjects == [.user("alice"), .group("ops")]
                    && harness.roleBinding("sales-app", "admin")?.subjects == [.user("alice"), .group("ops")]
            })
            #expect(harness.roleBinding("sales-app", "view")?.subjects == [.group("verrazzano-project-sales-monitors")])
            try harness.putVerrazzano(admins: [["kind": "Group", "name": "platform-admins"]])
            #expect(await eventually {
                harness.clusterRoleBinding("verrazzano-admin")?.subjects == [.group("platform-admins")]
                    && harness.clusterRoleBinding("verrazzano-admin-k8s")?.subjects == [.group("platform-admins")]
            })
            #expect(harness.clusterRoleBinding("verrazzano-monitor")?.subjects == [.group("verrazzano-monitors")])
            _ = try harness.server.mergePatchObject(
                resource: "verrazzanoprojects", group: "clusters.verrazzano.io", namespace: "verrazzano-mc", name: "sales",
                patch: Data(#"{"spec":{"template":{"security":null}}}"#.utf8))
            #expect(await eventually { harness.roleBinding("sales-app", "admin")?.subjects == [.group("verrazzano-project-sales-admins")] })
            await running.stop()
        }
    }

    @Test("hand-edited and deleted bindings are repaired")
    func driftRepair() async throws {
        try await ControllerHarness.with { harness in
            try harness.putProject("sales", namespaces: ["sales-app"])
            let running = harness.startController()
            #expect(await eventually { harness.projectState("sales") == "Succeeded" })
            _ = try harness.server.mergePatchObject(
                resource: "rolebindings", group: "rbac.authorization.k8s.io", namespace: "sales-app", name: "admin",
                patch: Data(#"{"subjects":[{"kind":"User","name":"mallory","apiGroup":"rbac.authorization.k8s.io"}]}"#.utf8))
            try harness.server.deleteObject(resource: "rolebindings", group: "rbac.authorization.k8s.io", namespace: "sales-app", name: "view")
            try harness.server.deleteObject(resource: "clusterrolebindings", group: "rbac.authorization.k8s.io", name: "verrazzano-monitor")
            #expect(await eventually {
                harness.roleBinding("sales-app", "admin")?.subjects == [.group("verrazzano-project-sales-admins")]
                    && harness.roleBinding("sales-app", "view") != nil && harness.clusterRoleBinding("verrazzano-monitor") != nil
            })
            await running.stop()
        }
    }

    @Test("deleting a project removes its bindings and project labels, keeps the namespace and foreign bindings, then lets the project go")
    func projectDeletion() async throws {
        try await ControllerHarness.with { harness in
            try harness.putProject("sales", namespaces: ["sales-app", "sales-db"])
            let running = harness.startController()
            #expect(await eventually { harness.projectState("sales") == "Succeeded" })
            // Someone else's binding in the project's namespace.
            try harness.server.upsert(RoleBinding(
                metadata: KubeObjectMeta(name: "team-edit", namespace: "sales-app"),
                roleRef: .clusterRole("edit"), subjects: [.group("team")]),
                resource: "rolebindings", group: "rbac.authorization.k8s.io", namespace: "sales-app")
            // A namespace leaves the template first.
            try harness.putProject("sales", namespaces: ["sales-app"])
            #expect(await eventually {
                harness.roleBindingNames("sales-db").isEmpty
                    && harness.json("namespaces", "sales-db")?["metadata"]?["labels"]?[OwnershipLabels.projectKey] == nil
            })
            // Then the project goes.
            try harness.server.deleteObject(resource: "verrazzanoprojects", group: "clusters.verrazzano.io", namespace: "verrazzano-mc", name: "sales")
            #expect(await eventually { harness.project("sales") == nil })
            #expect(harness.roleBindingNames("sales-app") == ["team-edit"])
            let namespace = try #require(harness.json("namespaces", "sales-app"))
            #expect(namespace["metadata"]?["labels"]?[OwnershipLabels.projectKey] == nil)
            #expect(namespace["metadata"]?["deletionTimestamp"] == nil)
            #expect(await eventually {
                harness.events("verrazzano-mc").contains { $0.message.contains("Deleted RoleBinding sales-app/admin") }
            })
            await running.stop()
        }
    }

    @Test("an invalid project gets status Failed naming the field, and no bindings")
    func invalidProject() async throws {
        try await ControllerHarness.with { harness in
            try harness.putProject("sales", namespaces: ["sales-app"], admins: [["kind": "ServiceAccount", "name": "ci"]])
            let running = harness.startController()
            #expect(await eventually { harness.projectState("sales") == "Failed" })
            let message = harness.project("sales")?["status"]?["conditions"]?.arrayValue?.first?["message"]?.stringValue ?? ""
            #expect(message.contains("spec.template.security.projectAdminSubjects[0].namespace"))
            #expect(harness.roleBindingNames("sales-app").isEmpty)
            #expect(harness.json("namespaces", "sales-app") == nil)
            #expect(await eventually { harness.events("verrazzano-mc").contains { $0.reason == "InvalidProject" && $0.type == "Warning" } })
            // Fixing it makes it work.
            try harness.putProject("sales", namespaces: ["sales-app"], admins: [["kind": "ServiceAccount", "name": "ci", "namespace": "ci"]])
            #expect(await eventually { harness.projectState("sales") == "Succeeded" })
            #expect(harness.roleBinding("sales-app", "admin")?.subjects == [.serviceAccount("ci", namespace: "ci")])
            await running.stop()
        }
    }

    @Test("a binding of the same name that the controller does not own is left alone and reported")
    func foreignBindingInTheWay() async throws {
        try await ControllerHarness.with { harness in
            try harness.server.upsert(JSONValue.object(["metadata": ["name": "sales-app"]]), resource: "namespaces")
            let foreign = RoleBinding(metadata: KubeObjectMeta(name: "admin", namespace: "sales-app"),
                                      roleRef: .clusterRole("admin"), subjects: [.user("bob")])
            try harness.server.upsert(foreign, resource: "rolebindings", group: "rbac.authorization.k8s.io", namespace: "sales-app")
            try harness.putProject("sales", namespaces: ["sales-app"])
            let running = harness.startController()
            #expect(await eventually { harness.projectState("sales") == "Failed" })
            let message = harness.project("sales")?["status"]?["conditions"]?.arrayValue?.first?["message"]?.stringValue ?? ""
            #expect(message.contains("RoleBinding sales-app/admin exists and is not managed by vzauth-rbac"))
            #expect(harness.roleBinding("sales-app", "admin")?.subjects == [.user("bob")])
            #expect(harness.roleBinding("sales-app", "view") != nil)
            await running.stop()
        }
    }

    @Test("two replicas: one leads and writes; when it stops, the other takes over")
    func leaderElection() async throws {
        try await ControllerHarness.with { harness in
            try harness.putProject("sales", namespaces: ["sales-app"])
            let a = harness.startController("a")
            #expect(await eventually { a.controller.isLeader })
            let b = harness.startController("b")
            #expect(await eventually { harness.projectState("sales") == "Succeeded" })
            try await Task.sleep(for: .milliseconds(600))
            #expect(!b.controller.isLeader)
            #expect(harness.writes(by: "b").filter { !$0.path.contains("/leases/") }.isEmpty)
            let lease = try #require(harness.json("leases", group: "coordination.k8s.io", namespace: "verrazzano-system", "vzauth-rbac-controller"))
            #expect(lease["spec"]?["holderIdentity"]?.stringValue == "replica-a")
            #expect(lease["spec"]?["leaseTransitions"] == .integer(0), "created by its first holder")
            await a.stop()
            // A released the Lease: B takes over without waiting for it to expire, and repairs drift.
            #expect(await eventually(timeout: .seconds(5)) { b.controller.isLeader })
            let taken = try #require(harness.json("leases", group: "coordination.k8s.io", namespace: "verrazzano-system", "vzauth-rbac-controller"))
            #expect(taken["spec"]?["holderIdentity"]?.stringValue == "replica-b")
            #expect(taken["spec"]?["leaseTransitions"] == .integer(1), "taking over a released Lease is a transition, as client-go counts it")
            try harness.server.deleteObject(resource: "rolebindings", group: "rbac.authorization.k8s.io", namespace: "sales-app", name: "view")
            #expect(await eventually { harness.roleBinding("sales-app", "view") != nil })
            #expect(!harness.writes(by: "b").filter { $0.path.contains("/rolebindings") }.isEmpty)
            await b.stop()
        }
    }

    @Test("a leader that cannot renew its Lease stops writing, and resumes once it can")
    func lostLease() async throws {
        try await ControllerHarness.with { harness in
            try harness.putProject("sales", namespaces: ["sales-app"])
            let a = harness.startController("a")
            #expect(await eventually { harness.projectState("sales") == "Succeeded" })
            // Lease updates fail from now on, as if the replica were cut off from the API server.
            let partitioned = Gate(open: true)
            harness.server.injectFailures(count: 100_000, status: 503, reason: "ServiceUnavailable") {
                $0.resource == "leases" && partitioned.isOpen
            }
            #expect(await eventually(timeout: .seconds(6)) { !a.controller.isLeader })
            try harness.server.deleteObject(resource: "rolebindings", group: "rbac.authorization.k8s.io", namespace: "sales-app", name: "view")
            try await Task.sleep(for: .milliseconds(500))
            #expect(harness.roleBinding("sales-app", "view") == nil)
            partitioned.set(false)
            #expect(await eventually { a.controller.isLeader && harness.roleBinding("sales-app", "view") != nil })
            await a.stop()
        }
    }

    @Test("failing writes are retried with backoff until they succeed; an expired watch version relists")
    func apiErrorsAndWatchExpiry() async throws {
        try await ControllerHarness.with { harness in
            harness.server.injectFailures(count: 6, status: 500) { $0.resource == "rolebindings" && $0.verb == "create" }
            try harness.putProject("sales", namespaces: ["sales-app"])
            let running = harness.startController()
            #expect(await eventually { harness.projectState("sales") == "Succeeded" })
            #expect(harness.server.injectedFailuresRemaining == 0)
            #expect(harness.roleBindingNames("sales-app") == Self.bindings)
            // The watches' versions expire: they list again and still see changes.
            harness.server.compactWatchHistory()
            harness.server.endAllWatches()
            try harness.putProject("hr", namespaces: ["hr-app"])
            #expect(await eventually { harness.projectState("hr") == "Succeeded" })
            #expect(harness.roleBindingNames("hr-app") == Self.bindings)
            await running.stop()
        }
    }

    @Test("a controller stopped mid-way leaves nothing a new one cannot finish")
    func restartMidway() async throws {
        try await ControllerHarness.with { harness in
            // Binding creation fails for the first controller: it stops with the namespaces made but no bindings.
            let failing = Gate(open: true)
            harness.server.injectFailures(count: 100_000, status: 500) {
                $0.resource == "rolebindings" && $0.verb == "create" && failing.isOpen
            }
            try harness.putProject("sales", namespaces: ["sales-a", "sales-b"])
            let first = harness.startController("a")
            #expect(await eventually { harness.json("namespaces", "sales-b") != nil && harness.projectState("sales") == "Pending" })
            await first.stop()
            #expect(harness.roleBindingNames("sales-a").isEmpty)
            failing.set(false)
            let second = harness.startController("b")
            #expect(await eventually { harness.projectState("sales") == "Succeeded" })
            #expect(harness.roleBindingNames("sales-a") == Self.bindings)
            #expect(harness.roleBindingNames("sales-b") == Self.bindings)
            await second.stop()
        }
    }
    @Test("a role catalogue the API server refuses leaves projects Pending naming the role; /readyz, a metric and an Event say so")
    func catalogueRefused() async throws {
        try await ControllerHarness.with { harness in
            // The real API server refused every apply of the catalogue (the body's escaped slashes): the same refusal.
            let refusing = Gate(open: true)
            harness.server.injectFailures(count: 1_000_000, status: 400, reason: "BadRequest",
                                          message: "error converting YAML to JSON: yaml: found unknown escape character") {
                $0.resource == "clusterroles" && $0.verb == "patch" && refusing.isOpen
            }
            try harness.putProject("sales", namespaces: ["sales-app"])
            let running = harness.startController()
            #expect(await eventually { harness.projectState("sales") == "Pending" })
            #expect(harness.roleBindingNames("sales-app") == Self.bindings, "the project's own objects are written")
            let condition = try #require(harness.project("sales")?["status"]?["conditions"]?.arrayValue?.first)
            #expect(condition["status"]?.stringValue == "False")
            let message = condition["message"]?.stringValue ?? ""
            #expect(message.contains("ClusterRole verrazzano-project-admin: "), "\(message)")
            #expect(message.contains("found unknown escape character"), "\(message)")
            #expect(!running.controller.readiness.ready)
            #expect(running.controller.readiness.detail.contains("ClusterRole verrazzano-admin"))
            #expect(await eventually { running.metricsText().contains("vzauth_rbac_controller_install_objects_ready 0.0") })
            // No Verrazzano resource: the Warning goes to the controller's Lease.
            #expect(await eventually {
                harness.events("verrazzano-system").contains { $0.reason == "InstallObjectsFailed" && $0.type == "Warning" }
            })
            // Once the API server accepts the catalogue, the retry makes everything true.
            refusing.set(false)
            #expect(await eventually(timeout: .seconds(30)) { harness.projectState("sales") == "Succeeded" })
            // Readiness follows the pass that wrote the catalogue; the project's status may be written first.
            #expect(await eventually { running.controller.readiness.ready })
            #expect(await eventually { running.metricsText().contains("vzauth_rbac_controller_install_objects_ready 1.0") })
            await running.stop()
        }
    }

    @Test("a missing Kubernetes role the bindings refer to (view) leaves projects Pending until it exists")
    func missingKubernetesRole() async throws {
        try await ControllerHarness.with { harness in
            #expect(harness.server.removeObject(resource: "clusterroles", group: "rbac.authorization.k8s.io", name: "view"))
            try harness.putProject("sales", namespaces: ["sales-app"])
            let running = harness.startController()
            #expect(await eventually { harness.projectState("sales") == "Pending" })
            let message = harness.project("sales")?["status"]?["conditions"]?.arrayValue?.first?["message"]?.stringValue ?? ""
            #expect(message == "Waiting for the ClusterRoles the project's role bindings refer to: ClusterRole view does not exist")
            #expect(running.controller.readiness.ready, "the install objects are fine")
            try harness.server.upsert(ClusterRole(metadata: KubeObjectMeta(name: "view"), rules: []),
                                      resource: "clusterroles", group: "rbac.authorization.k8s.io")
            #expect(await eventually(timeout: .seconds(30)) { harness.projectState("sales") == "Succeeded" })
            await running.stop()
        }
    }

    @Test("many projects converge with writes in parallel, one Event per project, and no writes once converged")
    func manyProjects() async throws {
        try await ControllerHarness.with { harness in
            for index in 0..<40 { try harness.putProject("p\(index)", namespaces: ["p\(index)-a", "p\(index)-b"]) }
            let running = harness.startController()
            #expect(await eventually(timeout: .seconds(30)) { (0..<40).allSatisfy { harness.projectState("p\($0)") == "Succeeded" } })
            #expect(harness.server.objectNames(resource: "rolebindings", group: "rbac.authorization.k8s.io").count == 40 * 2 * 4)
            try await Task.sleep(for: .milliseconds(500))
            let events = harness.events("verrazzano-mc").filter { $0.type == "Normal" }
            #expect(events.count == 40, "one Event per project: \(events.count)")
            let writes = harness.writes(by: "a").filter { !$0.path.contains("/leases/") }.count
            let passes = running.controller.completedPasses
            try harness.server.upsert(JSONValue.object(["metadata": ["name": "unrelated"]]), resource: "namespaces")
            #expect(await eventually { running.controller.completedPasses > passes })
            #expect(harness.writes(by: "a").filter { !$0.path.contains("/leases/") }.count == writes)
            await running.stop()
        }
    }
}
