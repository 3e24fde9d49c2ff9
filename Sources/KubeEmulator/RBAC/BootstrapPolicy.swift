public import KubeModels

/// The ClusterRoles and ClusterRoleBindings a Kubernetes 1.32 API server creates at start that users meet:
/// `cluster-admin` for `system:masters`; discovery, `kubectl auth whoami` / `can-i` and health paths for every
/// authenticated user; and the user-facing `admin`, `edit` and `view`, aggregated from the `system:aggregate-to-*`
/// roles by the `rbac.authorization.k8s.io/aggregate-to-*` labels, with the upstream rules. (Node, controller and
/// other component roles are left out: nothing in the emulator runs as those.)
public enum BootstrapPolicy {
    static let read = ["get", "list", "watch"]
    static let write = ["create", "update", "patch", "delete", "deletecollection"]
    static let readWrite = read + write
    static let aggregateToAdmin = "rbac.authorization.k8s.io/aggregate-to-admin"
    static let aggregateToEdit = "rbac.authorization.k8s.io/aggregate-to-edit"
    static let aggregateToView = "rbac.authorization.k8s.io/aggregate-to-view"
    /// `kubernetes.io/bootstrapping: rbac-defaults`, the label of every bootstrap object.
    static let defaultsLabel = ["kubernetes.io/bootstrapping": "rbac-defaults"]

    /// The bootstrap ClusterRoles.
    public static let clusterRoles: [ClusterRole] = [
        role("cluster-admin", rules: [
            PolicyRule(apiGroups: ["*"], resources: ["*"], verbs: ["*"]),
            PolicyRule(verbs: ["*"], nonResourceURLs: ["*"]),
        ]),
        role("system:discovery", rules: [
            PolicyRule(verbs: ["get"], nonResourceURLs: [
                "/livez", "/readyz", "/healthz", "/version", "/version/", "/openapi", "/openapi/*", "/api", "/api/*", "/apis", "/apis/*",
            ]),
        ]),
        role("system:monitoring", rules: [
            PolicyRule(verbs: ["get"], nonResourceURLs: [
                "/metrics", "/metrics/slis", "/livez", "/readyz", "/healthz", "/livez/*", "/readyz/*", "/healthz/*",
            ]),
        ]),
        role("system:basic-user", rules: [
            PolicyRule(apiGroups: ["authorization.k8s.io"], resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], verbs: ["create"]),
            PolicyRule(apiGroups: ["authentication.k8s.io"], resources: ["selfsubjectreviews"], verbs: ["create"]),
        ]),
        role("system:public-info-viewer", rules: [
            PolicyRule(verbs: ["get"], nonResourceURLs: ["/livez", "/readyz", "/healthz", "/version", "/version/"]),
        ]),
        aggregated("admin", from: aggregateToAdmin),
        aggregated("edit", from: aggregateToEdit, labels: [aggregateToAdmin: "true"]),
        aggregated("view", from: aggregateToView, labels: [aggregateToEdit: "true"]),
        role("system:aggregate-to-admin", labels: [aggregateToAdmin: "true"], rules: [
            PolicyRule(apiGroups: ["authorization.k8s.io"], resources: ["localsubjectaccessreviews"], verbs: ["create"]),
            PolicyRule(apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles", "rolebindings"], verbs: readWrite),
        ]),
        role("system:aggregate-to-edit", labels: [aggregateToEdit: "true"], rules: [
            PolicyRule(apiGroups: [""], resources: ["pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy"],
                       verbs: read),
            PolicyRule(apiGroups: [""], resources: ["serviceaccounts"], verbs: ["impersonate"]),
            PolicyRule(apiGroups: [""], resources: ["pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"], verbs: write),
            PolicyRule(apiGroups: [""], resources: ["pods/eviction"], verbs: ["create"]),
            PolicyRule(apiGroups: [""], resources: [
                "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/proxy", "endpoints",
                "persistentvolumeclaims", "configmaps", "secrets", "events",
            ], verbs: write),
            PolicyRule(apiGroups: [""], resources: ["serviceaccounts/token"], verbs: ["create"]),
            PolicyRule(apiGroups: ["apps"], resources: [
                "statefulsets", "statefulsets/scale", "daemonsets", "deployments", "deployments/scale", "deployments/rollback",
                "replicasets", "replicasets/scale",
            ], verbs: write),
            PolicyRule(apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: write),
            PolicyRule(apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: write),
            PolicyRule(apiGroups: ["extensions"], resources: [
                "daemonsets", "deployments", "deployments/scale", "deployments/rollback", "ingresses", "replicasets", "replicasets/scale",
                "replicationcontrollers/scale", "networkpolicies",
            ], verbs: write),
            PolicyRule(apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: write),
            PolicyRule(apiGroups: ["networking.k8s.io"], resources: ["networkpolicies", "ingresses"], verbs: write),
            PolicyRule(apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: readWrite),
        ]),
        role("system:aggregate-to-view", labels: [aggregateToView: "true"], rules: [
            PolicyRule(apiGroups: [""], resources: [
                "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/status",
                "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "configmaps",
            ], verbs: read),
            PolicyRule(apiGroups: [""], resources: [
                "limitranges", "resourcequotas", "bindings", "events", "pods/status", "resourcequotas/status", "namespaces/status",
                "replicationcontrollers/status", "pods/log",
            ], verbs: read),
            PolicyRule(apiGroups: [""], resources: ["namespaces"], verbs: read),
            PolicyRule(apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: read),
            PolicyRule(apiGroups: ["apps"], resources: [
                "controllerrevisions", "statefulsets", "statefulsets/status", "statefulsets/scale", "daemonsets", "daemonsets/status",
                "deployments", "deployments/status", "deployments/scale", "replicasets", "replicasets/status", "replicasets/scale",
            ], verbs: read),
            PolicyRule(apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers", "horizontalpodautoscalers/status"], verbs: read),
            PolicyRule(apiGroups: ["batch"], resources: ["jobs", "cronjobs", "cronjobs/status", "jobs/status"], verbs: read),
            PolicyRule(apiGroups: ["extensions"], resources: [
                "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "ingresses",
                "ingresses/status", "replicasets", "replicasets/scale", "replicasets/status", "replicationcontrollers/scale",
                "networkpolicies",
            ], verbs: read),
            PolicyRule(apiGroups: ["policy"], resources: ["poddisruptionbudgets", "poddisruptionbudgets/status"], verbs: read),
            PolicyRule(apiGroups: ["networking.k8s.io"], resources: ["networkpolicies", "ingresses", "ingresses/status"], verbs: read),
        ]),
    ]

    /// The bootstrap ClusterRoleBindings.
    public static let clusterRoleBindings: [ClusterRoleBinding] = [
        binding("cluster-admin", groups: [KubeUser.privilegedGroup]),
        binding("system:monitoring", groups: ["system:monitoring"]),
        binding("system:discovery", groups: [KubeUser.authenticatedGroup]),
        binding("system:basic-user", groups: [KubeUser.authenticatedGroup]),
        binding("system:public-info-viewer", groups: [KubeUser.authenticatedGroup, KubeUser.unauthenticatedGroup]),
    ]

    private static func role(_ name: String, labels: [String: String] = [:], rules: [PolicyRule]) -> ClusterRole {
        ClusterRole(metadata: KubeObjectMeta(name: name, labels: defaultsLabel.merging(labels) { $1 }), rules: rules)
    }

    private static func aggregated(_ name: String, from label: String, labels: [String: String] = [:]) -> ClusterRole {
        ClusterRole(metadata: KubeObjectMeta(name: name, labels: defaultsLabel.merging(labels) { $1 }),
                    aggregationRule: AggregationRule(clusterRoleSelectors: [LabelSelector(matchLabels: [label: "true"])]), rules: [])
    }

    private static func binding(_ role: String, groups: [String]) -> ClusterRoleBinding {
        ClusterRoleBinding(metadata: KubeObjectMeta(name: role, labels: defaultsLabel), roleRef: .clusterRole(role),
                           subjects: groups.map(Subject.group))
    }
}
