import KubeModels
import VerrazzanoRBAC

/// Builders for test inputs.
enum Fixtures {
    /// The two shapes of a project.
    enum Shape: String, CaseIterable, CustomStringConvertible {
        /// `v1alpha1`: subjects under `spec.template.security`.
        case v1alpha1
        /// `v1beta1`: subjects under `spec.security`.
        case v1beta1

        var description: String { self.rawValue }
        var securityPath: String { self == .v1alpha1 ? "spec.template.security" : "spec.security" }
    }

    /// A project named `name` in `verrazzano-mc`.
    static func project(
        _ name: String = "sales",
        shape: Shape = .v1alpha1,
        namespaces: [String] = ["sales-app"],
        clusters: [String] = ["local"],
        admins: [Subject]? = nil,
        monitors: [Subject]? = nil,
        namespace: String? = "verrazzano-mc"
    ) -> VerrazzanoProject {
        let security = admins == nil && monitors == nil
            ? nil : VerrazzanoProject.Security(projectAdminSubjects: admins, projectMonitorSubjects: monitors)
        let template = VerrazzanoProject.Template(
            namespaces: namespaces.map { .init(metadata: KubeObjectMeta(name: $0)) },
            security: shape == .v1alpha1 ? security : nil)
        return VerrazzanoProject(
            apiVersion: "clusters.verrazzano.io/\(shape.rawValue)",
            metadata: KubeObjectMeta(name: name, namespace: namespace),
            spec: .init(
                placement: .init(clusters: clusters.map { .init(name: $0) }),
                template: template,
                security: shape == .v1beta1 ? security : nil))
    }

    /// A `Verrazzano` resource with these subjects.
    static func verrazzano(admins: [Subject]? = nil, monitors: [Subject]? = nil) -> Verrazzano {
        Verrazzano(
            metadata: KubeObjectMeta(name: "example-verrazzano", namespace: "default"),
            spec: .init(security: .init(adminSubjects: admins, monitorSubjects: monitors)))
    }

    /// The seed's Verrazzano example.
    static let seedVerrazzanoYAML = """
        apiVersion: install.verrazzano.io/v1beta1
        kind: Verrazzano
        metadata:
          name: example-verrazzano
        spec:
          profile: dev
          security:
            adminSubjects:
            - name: admin-group
              kind: Group
            monitorSubjects:
            - name: view-group
              kind: Group
        """

    /// The seed's project example, completed with a namespace and placement (v1beta1 shape).
    static let seedProjectYAML = """
        apiVersion: clusters.verrazzano.io/v1beta1
        kind: VerrazzanoProject
        metadata:
          name: my-project
          namespace: verrazzano-mc
        spec:
          placement:
            clusters:
            - name: local
            - name: managed1
          template:
            namespaces:
            - metadata:
                name: my-app
                labels:
                  team: blue
                annotations:
                  owner: alice
              spec:
                finalizers: [kubernetes]
            networkPolicies:
            - metadata:
                name: allow-all
              spec:
                podSelector: {}
                ingress:
                - {}
          security:
            projectAdminSubjects:
            - name: my-project-admin-group
              kind: Group
            projectMonitorSubjects:
            - name: my-project-view-group
              kind: Group
        status:
          state: Succeeded
          conditions:
          - type: DeploySucceeded
            status: "True"
            lastTransitionTime: "2024-01-02T03:04:05Z"
            message: deployed
          clusters:
          - name: managed1
            state: Succeeded
        """

    /// The same project in Verrazzano's v1alpha1 shape.
    static let seedProjectV1alpha1YAML = """
        apiVersion: clusters.verrazzano.io/v1alpha1
        kind: VerrazzanoProject
        metadata:
          name: my-project
          namespace: verrazzano-mc
        spec:
          placement:
            clusters:
            - name: local
            - name: managed1
          template:
            namespaces:
            - metadata:
                name: my-app
                labels:
                  team: blue
                annotations:
                  owner: alice
              spec:
                finalizers: [kubernetes]
            networkPolicies:
            - metadata:
                name: allow-all
              spec:
                podSelector: {}
                ingress:
                - {}
            security:
              projectAdminSubjects:
              - name: my-project-admin-group
                kind: Group
              projectMonitorSubjects:
              - name: my-project-view-group
                kind: Group
        """
}

extension DesiredState {
    /// The RoleBinding `name` in `namespace`.
    func roleBinding(_ namespace: String, _ name: String) -> RoleBinding? {
        self.roleBindings.first { $0.namespace == namespace && $0.name == name }
    }

    /// The ClusterRoleBinding `name`.
    func clusterRoleBinding(_ name: String) -> ClusterRoleBinding? {
        self.clusterRoleBindings.first { $0.name == name }
    }
}

extension DesiredState.ProjectObjects {
    /// The RoleBinding `name` in `namespace`.
    func roleBinding(_ namespace: String, _ name: String) -> RoleBinding? {
        self.roleBindings.first { $0.namespace == namespace && $0.name == name }
    }
}
