import KubeModels

/// The fixed Verrazzano ClusterRoles: five component roles holding the rules, and the four user roles that
/// aggregate them.
///
/// | component role | aggregated into |
/// |---|---|
/// | `verrazzano-install` | admin |
/// | `verrazzano-system-read` | admin, monitor |
/// | `verrazzano-system-write` | admin |
/// | `verrazzano-application-read` | admin, monitor, project-admin, project-monitor |
/// | `verrazzano-application-write` | admin, project-admin |
///
/// A component role is aggregated into user role `verrazzano-X` by the label
/// `verrazzano.io/aggregate-to-verrazzano-X: "true"`. After aggregation `verrazzano-admin` has 11 rules,
/// `verrazzano-monitor` 5, `verrazzano-project-admin` 6 and `verrazzano-project-monitor` 3
/// (``effectiveRules(of:)``).
public enum RoleCatalogue {
    /// `verrazzano-admin`: manage Verrazzano system components, clusters and projects (cluster scope).
    public static let admin = "verrazzano-admin"
    /// `verrazzano-monitor`: view and monitor Verrazzano system components, clusters and projects (cluster scope).
    public static let monitor = "verrazzano-monitor"
    /// `verrazzano-project-admin`: deploy and manage applications (namespace scope).
    public static let projectAdmin = "verrazzano-project-admin"
    /// `verrazzano-project-monitor`: view and monitor applications (namespace scope).
    public static let projectMonitor = "verrazzano-project-monitor"
    /// `verrazzano-managed-cluster`: what a managed cluster's agent may do in a project namespace (created by
    /// Verrazzano's cluster registration, not part of this catalogue).
    public static let managedCluster = "verrazzano-managed-cluster"
    /// Kubernetes' built-in `admin`, granted alongside the Verrazzano admin roles.
    public static let kubernetesAdmin = "admin"
    /// Kubernetes' built-in `view`, granted alongside the Verrazzano monitor roles.
    public static let kubernetesView = "view"

    /// `verrazzano.io/aggregate-to-<role>`, the label that aggregates a component role into user role `role`.
    public static func aggregationLabel(_ role: String) -> String { "verrazzano.io/aggregate-to-\(role)" }

    static let read = ["get", "list", "watch"]
    static let write = ["create", "update", "patch", "delete", "deletecollection"]
    static let allWithStatus = ["*", "*/status"]

    /// The five component roles, by name.
    public static let componentRoles: [ClusterRole] = [
        component("verrazzano-application-read", into: [admin, monitor, projectAdmin, projectMonitor], rules: [
            PolicyRule(apiGroups: ["verrazzano.io", "oam.verrazzano.io", "core.oam.dev"], resources: allWithStatus, verbs: read),
            PolicyRule(apiGroups: ["weblogic.oracle"], resources: ["domains", "domains/status", "clusters", "clusters/status"], verbs: read),
            PolicyRule(apiGroups: ["coherence.oracle.com"], resources: ["coherence", "coherence/status"], verbs: read),
        ]),
        component("verrazzano-application-write", into: [admin, projectAdmin], rules: [
            PolicyRule(apiGroups: ["verrazzano.io", "oam.verrazzano.io", "core.oam.dev"], resources: ["*"], verbs: write),
            PolicyRule(apiGroups: ["weblogic.oracle"], resources: ["domains", "clusters"], verbs: write),
            PolicyRule(apiGroups: ["coherence.oracle.com"], resources: ["coherence"], verbs: write),
        ]),
        component("verrazzano-install", into: [admin], rules: [
            PolicyRule(apiGroups: ["install.verrazzano.io"], resources: allWithStatus, verbs: read),
            PolicyRule(apiGroups: ["install.verrazzano.io"], resources: ["*"], verbs: write),
        ]),
        component("verrazzano-system-read", into: [admin, monitor], rules: [
            PolicyRule(apiGroups: ["clusters.verrazzano.io", "images.verrazzano.io"], resources: allWithStatus, verbs: read),
            PolicyRule(apiGroups: ["config.istio.io", "networking.istio.io", "security.istio.io"], resources: allWithStatus, verbs: read),
        ]),
        component("verrazzano-system-write", into: [admin], rules: [
            PolicyRule(apiGroups: ["clusters.verrazzano.io", "images.verrazzano.io"], resources: ["*"], verbs: write),
        ]),
    ]

    /// The four user roles, by name: aggregated, without rules of their own.
    public static let userRoles: [ClusterRole] = [admin, monitor, projectAdmin, projectMonitor].map { role in
        ClusterRole(
            metadata: KubeObjectMeta(name: role, labels: OwnershipLabels.managed),
            aggregationRule: AggregationRule(clusterRoleSelectors: [
                LabelSelector(matchLabels: [aggregationLabel(role): "true"]),
            ])
        )
    }

    /// All nine roles: component roles, then user roles, each by name.
    public static var all: [ClusterRole] { componentRoles + userRoles }

    /// The rules role `name` of the catalogue has once the API server has aggregated the catalogue, or `nil` for a
    /// name not in it.
    public static func effectiveRules(of name: String) -> [PolicyRule]? {
        all.first { $0.name == name }?.effectiveRules(among: all)
    }

    static func component(_ name: String, into roles: [String], rules: [PolicyRule]) -> ClusterRole {
        var labels = OwnershipLabels.managed
        for role in roles { labels[aggregationLabel(role)] = "true" }
        return ClusterRole(metadata: KubeObjectMeta(name: name, labels: labels), rules: rules)
    }
}
