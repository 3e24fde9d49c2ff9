public import KubeModels

/// A Verrazzano project (`clusters.verrazzano.io`, kind `VerrazzanoProject`): a set of namespaces, the clusters
/// they are placed on, and who administers and monitors them.
///
/// Both shapes are read into this one type and kept as given:
/// - `v1alpha1` (what Verrazzano served): subjects under `spec.template.security`;
/// - `v1beta1` (the documentation's example): subjects under `spec.security`.
///
/// ``security`` is the normalised view used to compute bindings: `spec.security` if present, else
/// `spec.template.security`. Validation rejects a project giving different subjects in both places.
public struct VerrazzanoProject: Codable, Sendable, Hashable {
    /// `clusters.verrazzano.io`.
    public static let group = "clusters.verrazzano.io"
    /// The versions read: `v1alpha1`, `v1beta1`.
    public static let versions = ["v1alpha1", "v1beta1"]
    /// `verrazzanoprojects.clusters.verrazzano.io` (`v1alpha1`, as Verrazzano served it).
    public static let resource = KubeResource(group: group, version: "v1alpha1", resource: "verrazzanoprojects", namespaced: true)
    /// The only namespace projects may live in: `verrazzano-mc`.
    public static let projectsNamespace = "verrazzano-mc"

    /// Who is bound to the project roles.
    public struct Security: Codable, Sendable, Hashable {
        /// Subjects of `verrazzano-project-admin` and `admin`; none (or empty) means Group
        /// `verrazzano-project-<project>-admins`.
        public var projectAdminSubjects: [Subject]?
        /// Subjects of `verrazzano-project-monitor` and `view`; none (or empty) means Group
        /// `verrazzano-project-<project>-monitors`.
        public var projectMonitorSubjects: [Subject]?

        /// Creates security settings.
        public init(projectAdminSubjects: [Subject]? = nil, projectMonitorSubjects: [Subject]? = nil) {
            self.projectAdminSubjects = projectAdminSubjects
            self.projectMonitorSubjects = projectMonitorSubjects
        }
    }

    /// Where the project is placed.
    public struct Placement: Codable, Sendable, Hashable {
        /// A cluster, by the name of its `VerrazzanoManagedCluster`, or `local`.
        public struct Cluster: Codable, Sendable, Hashable {
            /// The cluster name (empty if missing).
            public var name: String

            /// Creates a placement cluster.
            public init(name: String) {
                self.name = name
            }

            enum CodingKeys: String, CodingKey { case name }

            /// Decodes a cluster; a missing name is empty (reported by validation).
            public init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                self.name = try container.decodeIfPresent(String.self, forKey: .name) ?? ""
            }
        }

        /// The clusters.
        public var clusters: [Cluster]

        /// Creates a placement.
        public init(clusters: [Cluster]) {
            self.clusters = clusters
        }

        enum CodingKeys: String, CodingKey { case clusters }

        /// Decodes a placement; missing `clusters` is an empty list (reported by validation).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.clusters = try container.decodeIfPresent([Cluster].self, forKey: .clusters) ?? []
        }
    }

    /// A namespace of the project, as it should be created.
    public struct NamespaceTemplate: Codable, Sendable, Hashable {
        /// Name, labels and annotations.
        public var metadata: KubeObjectMeta
        /// The namespace spec, if any.
        public var spec: JSONValue?

        /// Creates a namespace template.
        public init(metadata: KubeObjectMeta, spec: JSONValue? = nil) {
            self.metadata = metadata
            self.spec = spec
        }

        enum CodingKeys: String, CodingKey { case metadata, spec }

        /// Decodes a template; missing `metadata` is empty (reported by validation).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.metadata = try container.decodeIfPresent(KubeObjectMeta.self, forKey: .metadata) ?? KubeObjectMeta()
            self.spec = try container.decodeIfPresent(JSONValue.self, forKey: .spec)
        }
    }

    /// What the project creates.
    public struct Template: Codable, Sendable, Hashable {
        /// The namespaces.
        public var namespaces: [NamespaceTemplate]
        /// Network policies, kept as given (not used for RBAC).
        public var networkPolicies: [JSONValue]?
        /// Subjects, in the `v1alpha1` shape.
        public var security: Security?

        /// Creates a template.
        public init(namespaces: [NamespaceTemplate], networkPolicies: [JSONValue]? = nil, security: Security? = nil) {
            self.namespaces = namespaces
            self.networkPolicies = networkPolicies
            self.security = security
        }

        enum CodingKeys: String, CodingKey { case namespaces, networkPolicies, security }

        /// Decodes a template; missing `namespaces` is an empty list (reported by validation).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.namespaces = try container.decodeIfPresent([NamespaceTemplate].self, forKey: .namespaces) ?? []
            self.networkPolicies = try container.decodeIfPresent([JSONValue].self, forKey: .networkPolicies)
            self.security = try container.decodeIfPresent(Security.self, forKey: .security)
        }
    }

    /// The spec.
    public struct Spec: Codable, Sendable, Hashable {
        /// Where the project is placed.
        public var placement: Placement
        /// What the project creates.
        public var template: Template
        /// Subjects, in the `v1beta1` shape.
        public var security: Security?

        /// Creates a spec.
        public init(placement: Placement, template: Template, security: Security? = nil) {
            self.placement = placement
            self.template = template
            self.security = security
        }

        enum CodingKeys: String, CodingKey { case placement, template, security }

        /// Decodes a spec; missing parts are empty (reported by validation).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.placement = try container.decodeIfPresent(Placement.self, forKey: .placement) ?? Placement(clusters: [])
            self.template = try container.decodeIfPresent(Template.self, forKey: .template) ?? Template(namespaces: [])
            self.security = try container.decodeIfPresent(Security.self, forKey: .security)
        }
    }

    /// `clusters.verrazzano.io/v1alpha1` or `/v1beta1`.
    public var apiVersion: String
    /// `VerrazzanoProject`.
    public var kind: String
    /// Name and namespace (`verrazzano-mc`).
    public var metadata: KubeObjectMeta
    /// The spec.
    public var spec: Spec
    /// The status, as last reported.
    public var status: ProjectStatus?

    /// Creates a project; `apiVersion` chooses nothing but the written version (both shapes are accepted in any).
    public init(
        apiVersion: String = Self.resource.apiVersion,
        metadata: KubeObjectMeta,
        spec: Spec,
        status: ProjectStatus? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = "VerrazzanoProject"
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// The name (empty if unset).
    public var name: String { self.metadata.name ?? "" }

    /// The subjects, whichever shape gave them: `spec.security` (`v1beta1`), else `spec.template.security`
    /// (`v1alpha1`).
    public var security: Security? { self.spec.security ?? self.spec.template.security }

    /// The field path of ``security``: `spec.security` or `spec.template.security`.
    var securityPath: String { self.spec.security != nil ? "spec.security" : "spec.template.security" }

    enum CodingKeys: String, CodingKey {
        case apiVersion, kind, metadata, spec, status
    }

    /// Decodes a project; missing parts are empty (reported by validation).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion) ?? Self.resource.apiVersion
        self.kind = try container.decodeIfPresent(String.self, forKey: .kind) ?? "VerrazzanoProject"
        self.metadata = try container.decodeIfPresent(KubeObjectMeta.self, forKey: .metadata) ?? KubeObjectMeta()
        self.spec = try container.decodeIfPresent(Spec.self, forKey: .spec)
            ?? Spec(placement: Placement(clusters: []), template: Template(namespaces: []))
        self.status = try container.decodeIfPresent(ProjectStatus.self, forKey: .status)
    }
}
