public import Foundation
public import KubeModels

/// A managed cluster's CA Secret as `vzauth cluster register` writes and reads it: metadata, `type` and `data`.
///
/// Encoded, it is the server-side apply configuration of the Secret (`v1`, `Secret`, name, namespace, labels,
/// `type`, `data`); decoded from the API server, the live Secret (all its keys; the API proxy itself reads Secrets
/// as ``ClusterCASecret``, which keeps only `cacrt`).
public struct ClusterCASecretObject: Codable, Sendable, Hashable {
    /// The type of the Secrets vzauth writes: `Opaque`.
    public static let opaque = "Opaque"

    /// `v1`.
    public var apiVersion: String?
    /// `Secret`.
    public var kind: String?
    /// Name, namespace, labels; for a live Secret also `uid` and `resourceVersion`.
    public var metadata: KubeObjectMeta
    /// The Secret's type; the API server stores `Opaque` when none is given.
    public var type: String?
    /// The values, base64-encoded, by key.
    public var data: [String: String]?

    /// Creates a Secret of type `Opaque`.
    public init(name: String, namespace: String, labels: [String: String], data: [String: String]) {
        self.apiVersion = "v1"
        self.kind = "Secret"
        self.metadata = KubeObjectMeta(name: name, namespace: namespace, labels: labels)
        self.type = Self.opaque
        self.data = data
    }

    /// The name (empty if missing).
    public var name: String { self.metadata.name ?? "" }

    /// The decoded value of `cacrt`; `nil` if missing or not base64.
    public var caCertificatePEM: Data? {
        self.data?[ClusterCASecret.caKey].flatMap { Data(base64Encoded: $0) }
    }

    /// Whether it carries `app.kubernetes.io/managed-by: vzauth`: vzauth made it (or took it over).
    public var isManagedByVZAuth: Bool {
        self.metadata.labels?[ClusterRegistration.managedByLabel] == ClusterRegistration.managedByValue
    }
}
