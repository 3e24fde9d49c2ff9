extension KubeAPIEmulator {
    /// A kind of object the double serves: listed in discovery and stored in memory.
    public struct ResourceType: Sendable, Hashable {
        /// The API group; empty for the core group.
        public var group: String
        /// The version, e.g. `v1`.
        public var version: String
        /// The plural resource name, e.g. `configmaps`.
        public var resource: String
        /// The singular name, e.g. `configmap`.
        public var singular: String
        /// The kind, e.g. `ConfigMap`.
        public var kind: String
        /// Whether objects live in namespaces.
        public var namespaced: Bool
        /// Short names for kubectl, e.g. `cm`.
        public var shortNames: [String]
        /// The verbs discovery advertises.
        public var verbs: [String]
        /// Subresources discovery advertises (`log`, `exec`, `status`, ...).
        public var subresources: [String]

        /// Describes a resource type; the default verbs are those of a normal stored resource.
        public init(
            group: String,
            version: String,
            resource: String,
            singular: String,
            kind: String,
            namespaced: Bool,
            shortNames: [String] = [],
            verbs: [String] = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            subresources: [String] = []
        ) {
            self.group = group
            self.version = version
            self.resource = resource
            self.singular = singular
            self.kind = kind
            self.namespaced = namespaced
            self.shortNames = shortNames
            self.verbs = verbs
            self.subresources = subresources
        }

        /// `v1` or `group/version`.
        public var apiVersion: String { self.group.isEmpty ? self.version : "\(self.group)/\(self.version)" }

        /// The store key: `group/resource`.
        var key: String { "\(self.group)/\(self.resource)" }

        /// Whether objects are stored (virtual create-only resources such as reviews are not).
        var isStored: Bool { self.verbs.contains("get") }

        /// Whether the type is served as a custom resource would be (no strategic merge patch, no update without
        /// `metadata.resourceVersion`): the double tells them apart by group, as a CustomResourceDefinition's group
        /// must contain a dot and the `k8s.io` groups are Kubernetes' own.
        var isCustomResource: Bool {
            self.group.contains(".") && self.group != "k8s.io" && !self.group.hasSuffix(".k8s.io")
        }

        /// The store key of Namespaces.
        static let namespacesKey = "/namespaces"

        /// `clusters.verrazzano.io/v1alpha1` `verrazzanoprojects` with a status subresource, as served once
        /// `deploy/crds` is installed (add it to ``Configuration/additionalResources``).
        public static let verrazzanoProject = ResourceType(
            group: "clusters.verrazzano.io", version: "v1alpha1", resource: "verrazzanoprojects", singular: "verrazzanoproject",
            kind: "VerrazzanoProject", namespaced: true, shortNames: ["vp", "vps"], subresources: ["status"])

        /// `install.verrazzano.io/v1beta1` `verrazzanos` with a status subresource, as served once `deploy/crds` is
        /// installed.
        public static let verrazzano = ResourceType(
            group: "install.verrazzano.io", version: "v1beta1", resource: "verrazzanos", singular: "verrazzano",
            kind: "Verrazzano", namespaced: true, shortNames: ["vz"], subresources: ["status"])

        /// The resources every double serves.
        public static let builtIn: [ResourceType] = [
            ResourceType(group: "", version: "v1", resource: "namespaces", singular: "namespace", kind: "Namespace",
                         namespaced: false, shortNames: ["ns"],
                         verbs: ["create", "delete", "get", "list", "patch", "update", "watch"], subresources: ["status"]),
            ResourceType(group: "", version: "v1", resource: "configmaps", singular: "configmap", kind: "ConfigMap",
                         namespaced: true, shortNames: ["cm"]),
            ResourceType(group: "", version: "v1", resource: "secrets", singular: "secret", kind: "Secret", namespaced: true),
            ResourceType(group: "", version: "v1", resource: "pods", singular: "pod", kind: "Pod", namespaced: true,
                         shortNames: ["po"], subresources: ["attach", "exec", "log", "portforward", "status"]),
            ResourceType(group: "", version: "v1", resource: "services", singular: "service", kind: "Service",
                         namespaced: true, shortNames: ["svc"]),
            ResourceType(group: "", version: "v1", resource: "serviceaccounts", singular: "serviceaccount",
                         kind: "ServiceAccount", namespaced: true, shortNames: ["sa"]),
            ResourceType(group: "", version: "v1", resource: "events", singular: "event", kind: "Event",
                         namespaced: true, shortNames: ["ev"]),
            ResourceType(group: "apps", version: "v1", resource: "deployments", singular: "deployment", kind: "Deployment",
                         namespaced: true, shortNames: ["deploy"]),
            ResourceType(group: "coordination.k8s.io", version: "v1", resource: "leases", singular: "lease", kind: "Lease",
                         namespaced: true),
            ResourceType(group: "authentication.k8s.io", version: "v1", resource: "selfsubjectreviews",
                         singular: "selfsubjectreview", kind: "SelfSubjectReview", namespaced: false, verbs: ["create"]),
            ResourceType(group: "authorization.k8s.io", version: "v1", resource: "selfsubjectaccessreviews",
                         singular: "selfsubjectaccessreview", kind: "SelfSubjectAccessReview", namespaced: false,
                         verbs: ["create"]),
            .subjectAccessReviews,
            .localSubjectAccessReviews,
            .selfSubjectRulesReviews,
            ResourceType(group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterroles", singular: "clusterrole",
                         kind: "ClusterRole", namespaced: false),
            ResourceType(group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterrolebindings",
                         singular: "clusterrolebinding", kind: "ClusterRoleBinding", namespaced: false),
            ResourceType(group: "rbac.authorization.k8s.io", version: "v1", resource: "roles", singular: "role",
                         kind: "Role", namespaced: true),
            ResourceType(group: "rbac.authorization.k8s.io", version: "v1", resource: "rolebindings", singular: "rolebinding",
                         kind: "RoleBinding", namespaced: true),
        ]
    }
}
