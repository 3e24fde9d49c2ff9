public import KubeClient

/// A cluster registered with the admin cluster (`clusters.verrazzano.io/v1alpha1`, kind `VerrazzanoManagedCluster`,
/// short name `vmc`), reduced to what the API proxy reads: its name, the Secret holding the CA that signed its API
/// proxy's certificate, and that proxy's URL.
///
/// Other fields (`spec.description`, `spec.managedClusterManifestSecret`, `status.conditions`, ...) are ignored.
/// A missing `spec` or `status` decodes as empty: a VMC is created before Verrazzano's agent (or `vzauth cluster
/// register`) fills in its status.
public struct VerrazzanoManagedCluster: Codable, Sendable, Hashable {
    /// `clusters.verrazzano.io`.
    public static let group = "clusters.verrazzano.io"
    /// `verrazzanomanagedclusters.clusters.verrazzano.io`, `v1alpha1`, namespaced.
    public static let resource = KubeResource(
        group: group, version: "v1alpha1", resource: "verrazzanomanagedclusters", namespaced: true)
    /// Where VMCs live unless `--managed-cluster-namespace` says otherwise: `verrazzano-mc`.
    public static let defaultNamespace = "verrazzano-mc"

    /// The desired state.
    public struct Spec: Codable, Sendable, Hashable {
        /// The name of a Secret in the same namespace whose key `cacrt` holds the PEM CA certificate(s) to trust for
        /// ``Status/apiUrl``; `nil` or empty: the system roots.
        public var caSecret: String?

        /// Creates a spec.
        public init(caSecret: String? = nil) {
            self.caSecret = caSecret
        }
    }

    /// What the managed cluster reported.
    public struct Status: Codable, Sendable, Hashable {
        /// The URL of the managed cluster's API proxy (`https://...`); `nil` or empty until the cluster registered.
        public var apiUrl: String?

        /// Creates a status.
        public init(apiUrl: String? = nil) {
            self.apiUrl = apiUrl
        }
    }

    /// `clusters.verrazzano.io/v1alpha1`.
    public var apiVersion: String?
    /// `VerrazzanoManagedCluster`.
    public var kind: String?
    /// Name, namespace, version.
    public var metadata: KubeObjectMeta
    /// The desired state.
    public var spec: Spec
    /// What the cluster reported.
    public var status: Status

    /// Creates a VMC.
    public init(name: String, namespace: String = Self.defaultNamespace, caSecret: String? = nil, apiUrl: String? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = "VerrazzanoManagedCluster"
        self.metadata = KubeObjectMeta(name: name, namespace: namespace)
        self.spec = Spec(caSecret: caSecret)
        self.status = Status(apiUrl: apiUrl)
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec, status }

    /// Decodes a VMC; a missing `metadata`, `spec` or `status` is empty.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion)
        self.kind = try container.decodeIfPresent(String.self, forKey: .kind)
        self.metadata = try container.decodeIfPresent(KubeObjectMeta.self, forKey: .metadata) ?? KubeObjectMeta()
        self.spec = try container.decodeIfPresent(Spec.self, forKey: .spec) ?? Spec()
        self.status = try container.decodeIfPresent(Status.self, forKey: .status) ?? Status()
    }

    /// The name (empty if missing).
    public var name: String { self.metadata.name ?? "" }
}

extension VerrazzanoManagedCluster: KubeInformedObject {
    /// The VMC's metadata.
    public var informedMetadata: KubeObjectMeta? { self.metadata }
}
