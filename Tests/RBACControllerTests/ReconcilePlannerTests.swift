import KubeClient
import RBACController
import Testing
import VerrazzanoRBAC

@Suite("Reconcile planner")
struct ReconcilePlannerTests {
    let planner = ReconcilePlanner(configuration: PlannerFixtures.configuration)

    @Test("an empty cluster gets the finalizer, the catalogue, the install bindings, the namespace and four bindings, in that order")
    func emptyCluster() throws {
        var observed = ObservedState()
        observed.projects[ObjectKey(namespace: "verrazzano-mc", name: "sales")] = PlannerFixtures.project(finalized: false)
        let plan = planner.plan(observed)
        let summaries = plan.summaries
        #expect(summaries.first == "FinalizerAdded finalizer project.verrazzano.io")
        #expect(summaries.filter { $0.contains("ClusterRole ") }.count == 9)
        #expect(summaries.filter { $0.contains("ClusterRoleBinding ") }.count == 4)
        #expect(summaries.contains("Created Namespace sales-app"))
        let bindings = summaries.filter { $0.hasPrefix("Created RoleBinding sales-app/") }
        #expect(bindings.count == 4)
        // Namespaces come before the bindings in them.
        let namespaceIndex = try #require(summaries.firstIndex(of: "Created Namespace sales-app"))
        let firstBinding = try #require(summaries.firstIndex { $0.hasPrefix("Created RoleBinding") })
        #expect(namespaceIndex < firstBinding)
        #expect(plan.projects.values.first?.problems == [])
        #expect(plan.projects.values.first?.roleBindingCount == 4)
    }

    @Test("a converged cluster needs no writes")
    func converged() throws {
        let observed = try PlannerFixtures.converged(projects: [PlannerFixtures.project(), PlannerFixtures.project("hr", namespaces: ["hr-a", "hr-b"])])
        #expect(planner.plan(observed).actions.isEmpty)
    }

    @Test("an aggregated ClusterRole is compared by its aggregation rule, not by the rules the cluster fills in")
    func aggregatedRoleRulesIgnored() throws {
        var observed = try PlannerFixtures.converged(projects: [])
        let key = ObjectKey(name: RoleCatalogue.admin)
        var role = try #require(observed.clusterRoles[key])
        #expect(role.aggregationRule != nil)
        role.rules = Array((role.rules ?? []).reversed())
        observed.clusterRoles[key] = role
        #expect(planner.plan(observed).actions.isEmpty)
        role.aggregationRule = nil
        observed.clusterRoles[key] = role
        #expect(planner.plan(observed).summaries == ["Updated ClusterRole verrazzano-admin"])
    }

    @Test("a ClusterRole the bindings refer to that nobody created is reported, not written")
    func missingReferencedRole() throws {
        var observed = try PlannerFixtures.converged(projects: [PlannerFixtures.project(clusters: ["local", "managed1"])])
        observed.clusterRoles[ObjectKey(name: "view")] = nil
        let plan = planner.plan(observed)
        #expect(plan.missingClusterRoles == [
            "view": "ClusterRole view does not exist",
            "verrazzano-managed-cluster": "ClusterRole verrazzano-managed-cluster does not exist",
        ])
        #expect(plan.projects[ObjectKey(namespace: "verrazzano-mc", name: "sales")]?.clusterRoles.contains("view") == true)
        #expect(!plan.summaries.contains { $0.contains("ClusterRole view") })
    }

    @Test("hand-edited subjects and a deleted binding are repaired")
    func drift() throws {
        var observed = try PlannerFixtures.converged(projects: [PlannerFixtures.project()])
        let adminKey = ObjectKey(namespace: "sales-app", name: "admin")
        var admin = try #require(observed.roleBindings[adminKey])
        admin.subjects.append(.user("mallory"))
        observed.roleBindings[adminKey] = admin
        observed.roleBindings[ObjectKey(namespace: "sales-app", name: "view")] = nil
        let plan = planner.plan(observed)
        #expect(Set(plan.summaries) == ["Updated RoleBinding sales-app/admin", "Created RoleBinding sales-app/view"])
        let update = try #require(plan.actions.first { $0.summary == "RoleBinding sales-app/admin" })
        guard case .applyRoleBinding(let desired) = update.change else { Issue.record("not an apply"); return }
        #expect(desired.subjects == [.group("verrazzano-project-sales-admins")])
    }

    @Test("a changed roleRef is deleted and created again (roleRef is immutable)")
    func roleRefChange() throws {
        var observed = try PlannerFixtures.converged(projects: [PlannerFixtures.project()])
        let key = ObjectKey(namespace: "sales-app", name: "view")
        var view = try #require(observed.roleBindings[key])
        view.roleRef = RoleRef(kind: "ClusterRole", name: "edit")
        observed.roleBindings[key] = view
        #expect(planner.plan(observed).summaries == [
            "Deleted RoleBinding sales-app/view (its roleRef cannot change)", "Created RoleBinding sales-app/view",
        ])
    }

    @Test("a deleted project's bindings are deleted, its namespace unlabelled (never deleted), then its finalizer removed")
    func projectDeletion() throws {
        var observed = try PlannerFixtures.converged(projects: [PlannerFixtures.project()])
        let key = ObjectKey(namespace: "verrazzano-mc", name: "sales")
        observed.projects[key] = PlannerFixtures.project(deleting: true)
        let plan = planner.plan(observed)
        #expect(plan.summaries.filter { $0.hasPrefix("Deleted RoleBinding sales-app/") }.count == 4)
        #expect(plan.summaries.contains("Unlabelled Namespace sales-app (left the project)"))
        #expect(plan.summaries.last == "FinalizerRemoved finalizer project.verrazzano.io")
        guard case .setProjectFinalizers(_, let finalizers, let version)? = plan.actions.last?.change else {
            Issue.record("the last action is not the finalizer removal"); return
        }
        #expect(finalizers == [])
        #expect(version == "7")
        #expect(!plan.actions.contains { if case .createNamespace = $0.change { true } else { false } })
    }

    @Test("a namespace that leaves the template loses its bindings and the project labels")
    func namespaceLeavesTemplate() throws {
        var observed = try PlannerFixtures.converged(projects: [PlannerFixtures.project(namespaces: ["sales-a", "sales-b"])])
        observed.projects[ObjectKey(namespace: "verrazzano-mc", name: "sales")] = PlannerFixtures.project(namespaces: ["sales-a"])
        let plan = planner.plan(observed)
        #expect(plan.summaries.filter { $0.hasPrefix("Deleted RoleBinding sales-b/") }.count == 4)
        #expect(plan.summaries.contains("Unlabelled Namespace sales-b (left the project)"))
        #expect(!plan.summaries.contains { $0.contains("sales-a") })
        let unlabel = try #require(plan.actions.first { $0.reason == "Unlabelled" })
        guard case .labelNamespace(_, let labels) = unlabel.change else { Issue.record("not a label change"); return }
        #expect(labels == [OwnershipLabels.managedByKey: nil, OwnershipLabels.projectKey: nil,
                           OwnershipLabels.projectNamespaceKey: nil])
    }

    @Test("an invalid project writes nothing and keeps what it had; the problem names the field")
    func invalidProjectFrozen() throws {
        var observed = try PlannerFixtures.converged(projects: [PlannerFixtures.project()])
        let key = ObjectKey(namespace: "verrazzano-mc", name: "sales")
        observed.projects[key] = PlannerFixtures.project(admins: [["kind": "ServiceAccount", "name": "ci"]])
        let plan = planner.plan(observed)
        #expect(plan.actions.isEmpty)
        let problems = try #require(plan.projects[key]?.problems)
        #expect(problems.count == 1)
        #expect(problems[0].contains("spec.template.security.projectAdminSubjects[0].namespace"))
    }

    @Test("an unreadable project is reported, not fatal, and freezes its objects")
    func unreadableProject() throws {
        var observed = try PlannerFixtures.converged(projects: [PlannerFixtures.project()])
        let key = ObjectKey(namespace: "verrazzano-mc", name: "sales")
        observed.projects[key] = ["apiVersion": "clusters.verrazzano.io/v1alpha1", "kind": "VerrazzanoProject",
                                  "metadata": ["name": "sales", "namespace": "verrazzano-mc", "finalizers": ["project.verrazzano.io"]],
                                  "spec": ["placement": "everywhere"]]
        let plan = planner.plan(observed)
        #expect(plan.actions.isEmpty)
        #expect(plan.projects[key]?.problems.first?.hasPrefix("the project cannot be read") == true)
    }

    @Test("subjects from the Verrazzano resource replace the default install subjects")
    func installSubjects() throws {
        var observed = try PlannerFixtures.converged(projects: [])
        observed.verrazzanos[ObjectKey(namespace: "default", name: "vz")] = [
            "apiVersion": "install.verrazzano.io/v1beta1", "kind": "Verrazzano",
            "metadata": ["name": "vz", "namespace": "default", "uid": "vz-uid"],
            "spec": ["security": ["adminSubjects": [["kind": "Group", "name": "platform-admins"]]]],
        ]
        let plan = planner.plan(observed)
        #expect(Set(plan.summaries) == ["Updated ClusterRoleBinding verrazzano-admin", "Updated ClusterRoleBinding verrazzano-admin-k8s"])
        #expect(plan.verrazzano?.uid == "vz-uid")
    }

    @Test("two Verrazzano resources leave the install bindings alone and say why")
    func twoVerrazzanos() throws {
        var observed = try PlannerFixtures.converged(projects: [])
        for name in ["a", "b"] {
            observed.verrazzanos[ObjectKey(namespace: "default", name: name)] = [
                "apiVersion": "install.verrazzano.io/v1beta1", "kind": "Verrazzano",
                "metadata": ["name": .string(name), "namespace": "default"],
                "spec": ["security": ["adminSubjects": [["kind": "Group", "name": "x"]]]],
            ]
        }
        let plan = planner.plan(observed)
        #expect(plan.actions.isEmpty)
        #expect(plan.verrazzanoProblems.count == 2)
    }

    @Test("an unmanaged binding of another project's namespace is never planned for deletion")
    func unmanagedNeverDeleted() throws {
        var observed = try PlannerFixtures.converged(projects: [PlannerFixtures.project()])
        // A managed binding of a project that is not in verrazzano-mc (another controller's) is not ours either.
        observed.roleBindings[ObjectKey(namespace: "sales-app", name: "other")] = RoleBinding(
            metadata: KubeObjectMeta(name: "other", namespace: "sales-app",
                                     labels: OwnershipLabels.project("sales", namespace: "elsewhere")),
            roleRef: RoleRef(kind: "ClusterRole", name: "view"), subjects: [.user("u")])
        #expect(planner.plan(observed).actions.isEmpty)
    }
}
