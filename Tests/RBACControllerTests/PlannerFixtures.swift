import Foundation
import KubeClient
import RBACController
import VerrazzanoRBAC

/// Builders for planner and controller tests.
enum PlannerFixtures {
    static let configuration = ControllerConfiguration(
        leaderElection: LeaderElectionConfiguration(namespace: "verrazzano-system", identity: "test"))

    /// A project as the API server would store it (JSON), optionally with the controller's finalizer.
    static func project(
        _ name: String = "sales",
        namespaces: [String] = ["sales-app"],
        clusters: [String] = ["local"],
        admins: [JSONValue]? = nil,
        finalized: Bool = true,
        deleting: Bool = false,
        status: JSONValue? = nil
    ) -> JSONValue {
        var metadata: [String: JSONValue] = ["name": .string(name), "namespace": "verrazzano-mc", "uid": .string("uid-\(name)"),
                                             "resourceVersion": "7"]
        if finalized { metadata["finalizers"] = ["project.verrazzano.io"] }
        if deleting { metadata["deletionTimestamp"] = "2026-11-23T10:00:00Z" }
        var template: [String: JSONValue] = [
            "namespaces": .array(namespaces.map { ["metadata": ["name": .string($0)]] }),
        ]
        if let admins { template["security"] = ["projectAdminSubjects": .array(admins)] }
        var object: [String: JSONValue] = [
            "apiVersion": "clusters.verrazzano.io/v1alpha1", "kind": "VerrazzanoProject",
            "metadata": .object(metadata),
            "spec": ["placement": ["clusters": .array(clusters.map { ["name": .string($0)] })], "template": .object(template)],
        ]
        if let status { object["status"] = status }
        return .object(object)
    }

    /// The observed state of a cluster where everything `projects` want already exists.
    static func converged(projects: [JSONValue], extraNamespaces: [String] = []) throws -> ObservedState {
        var observed = ObservedState()
        var inputs: [InputDocument] = []
        for project in projects {
            let key = ObjectKey(namespace: "verrazzano-mc", name: project["metadata"]?["name"]?.stringValue ?? "")
            observed.projects[key] = project
            if project["metadata"]?["deletionTimestamp"] == nil {
                inputs.append(.project(try decode(VerrazzanoProject.self, project), source: "test"))
            }
        }
        let state = try DesiredState(inputs: inputs)
        for role in state.clusterRoles { observed.clusterRoles[ObjectKey(name: role.name)] = role }
        // The cluster's own roles the project bindings refer to.
        for name in ["admin", "view"] { observed.clusterRoles[ObjectKey(name: name)] = ClusterRole(metadata: KubeObjectMeta(name: name)) }
        for binding in state.clusterRoleBindings { observed.clusterRoleBindings[ObjectKey(name: binding.name)] = binding }
        for namespace in state.namespaces { observed.namespaces[ObjectKey(name: namespace.name)] = namespace }
        for binding in state.roleBindings {
            observed.roleBindings[ObjectKey(namespace: binding.namespace, name: binding.name)] = binding
        }
        for name in ["default", "verrazzano-mc"] + extraNamespaces {
            observed.namespaces[ObjectKey(name: name)] = Namespace(metadata: KubeObjectMeta(name: name))
        }
        return observed
    }

    static func json(_ value: some Encodable) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ value: JSONValue) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONEncoder().encode(value))
    }
}

extension ReconcilePlan {
    /// The changes, as short strings (`create RoleBinding sales-app/admin`), for readable assertions.
    var summaries: [String] { self.actions.map { "\($0.reason) \($0.summary)" } }
}
