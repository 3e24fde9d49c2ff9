public import KubeModels

/// The parts of the `Verrazzano` installation resource (`install.verrazzano.io/v1beta1`) that decide the
/// install-time role bindings: `metadata` and `spec.security`. Other fields are ignored when decoding.
///
/// `v1alpha1` has `spec.security` in the same place and is read the same way.
public struct Verrazzano: Codable, Sendable, Hashable {
    /// `install.verrazzano.io`.
    public static let group = "install.verrazzano.io"
    /// The versions read: `v1alpha1`, `v1beta1`.
    public static let versions = ["v1alpha1", "v1beta1"]
    /// `verrazzanos.install.verrazzano.io` (`v1beta1`).
    public static let resource = KubeResource(group: group, version: "v1beta1", resource: "verrazzanos", namespaced: true)

    /// Who is bound to the Verrazzano admin and monitor roles.
    public struct Security: Codable, Sendable, Hashable {
        /// Subjects of `verrazzano-admin` and Kubernetes `admin`; none (or empty) means Group `verrazzano-admins`.
        public var adminSubjects: [Subject]?
        /// Subjects of `verrazzano-monitor` and Kubernetes `view`; none (or empty) means Group `verrazzano-monitors`.
        public var monitorSubjects: [Subject]?

        /// Creates security settings.
        public init(adminSubjects: [Subject]? = nil, monitorSubjects: [Subject]? = nil) {
            self.adminSubjects = adminSubjects
            self.monitorSubjects = monitorSubjects
        }
    }

    /// The spec (only `security` is read).
    public struct Spec: Codable, Sendable, Hashable {
        /// Role binding overrides.
        public var security: Security?

        /// Creates a spec.
        public init(security: Security? = nil) {
            self.security = security
        }
    }

    /// `install.verrazzano.io/v1beta1` (or `v1alpha1`).
    public var apiVersion: String
    /// `Verrazzano`.
    public var kind: String
    /// Name and namespace.
    public var metadata: KubeObjectMeta
    /// The spec.
    public var spec: Spec

    /// Creates a resource (`v1beta1`).
    public init(metadata: KubeObjectMeta, spec: Spec = Spec()) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = "Verrazzano"
        self.metadata = metadata
        self.spec = spec
    }

    /// The name (empty if unset).
    public var name: String { self.metadata.name ?? "" }

    enum CodingKeys: String, CodingKey {
        case apiVersion, kind, metadata, spec
    }

    /// Decodes the resource; a missing `spec` is empty.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion) ?? Self.resource.apiVersion
        self.kind = try container.decodeIfPresent(String.self, forKey: .kind) ?? "Verrazzano"
        self.metadata = try container.decodeIfPresent(KubeObjectMeta.self, forKey: .metadata) ?? KubeObjectMeta()
        self.spec = try container.decodeIfPresent(Spec.self, forKey: .spec) ?? Spec()
    }
}
