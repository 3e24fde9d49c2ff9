import Foundation
public import KubeClient

/// A Secret of the managed-cluster namespace as the cluster directory reads it: its name and the PEM in its key
/// `cacrt` (Verrazzano's key for a managed cluster's CA), nothing else.
///
/// Every other key is dropped while decoding: the proxy watches all Secrets of the namespace (a Role cannot name
/// Secrets it does not know yet), and keeps none of their contents but the CA certificates it needs.
public struct ClusterCASecret: Decodable, Sendable, Hashable {
    /// The key holding the PEM CA certificate(s): `cacrt`.
    public static let caKey = "cacrt"

    /// Name, namespace, version.
    public var metadata: KubeObjectMeta
    /// The value of `data.cacrt` (base64-decoded: PEM bytes), `nil` if the Secret has no such key.
    public var caCertificatePEM: [UInt8]?
    /// Whether `data.cacrt` was present but not valid base64.
    public var caKeyUnreadable: Bool

    /// Creates a Secret with a CA (or without, for `nil`).
    public init(name: String, namespace: String = VerrazzanoManagedCluster.defaultNamespace, caCertificatePEM: String?) {
        self.metadata = KubeObjectMeta(name: name, namespace: namespace)
        self.caCertificatePEM = caCertificatePEM.map { Array($0.utf8) }
        self.caKeyUnreadable = false
    }

    /// The name (empty if missing).
    public var name: String { self.metadata.name ?? "" }

    private enum CodingKeys: String, CodingKey { case metadata, data }

    private struct DataKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes metadata and `data.cacrt` only.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.metadata = try container.decodeIfPresent(KubeObjectMeta.self, forKey: .metadata) ?? KubeObjectMeta()
        var pem: [UInt8]?
        var unreadable = false
        if container.contains(.data), try !container.decodeNil(forKey: .data) {
            let data = try container.nestedContainer(keyedBy: DataKey.self, forKey: .data)
            let key = DataKey(stringValue: Self.caKey)
            if let encoded = try data.decodeIfPresent(String.self, forKey: key) {
                if let decoded = Data(base64Encoded: encoded) { pem = Array(decoded) } else { unreadable = true }
            }
        }
        self.caCertificatePEM = pem
        self.caKeyUnreadable = unreadable
    }
}

extension ClusterCASecret: KubeInformedObject {
    /// The Secret's metadata.
    public var informedMetadata: KubeObjectMeta? { self.metadata }
}
