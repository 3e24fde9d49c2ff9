/// A kind of Kubernetes object as the API addresses it: group, version, plural resource name and scope.
///
/// ```swift
/// let roles = KubeResource(group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterroles", namespaced: false)
/// ```
public struct KubeResource: Sendable, Hashable, CustomStringConvertible {
    /// The API group; empty for the core group (`/api/v1`).
    public var group: String
    /// The API version, e.g. `v1`.
    public var version: String
    /// The plural resource name, e.g. `configmaps`.
    public var resource: String
    /// Whether objects live in namespaces.
    public var namespaced: Bool

    /// Creates a resource description.
    public init(group: String, version: String, resource: String, namespaced: Bool) {
        self.group = group
        self.version = version
        self.resource = resource
        self.namespaced = namespaced
    }

    /// The `apiVersion` of objects of this resource: `v1` or `GROUP/VERSION`.
    public var apiVersion: String { self.group.isEmpty ? self.version : "\(self.group)/\(self.version)" }

    /// `resource.group` or just `resource` for the core group.
    public var description: String { self.group.isEmpty ? self.resource : "\(self.resource).\(self.group)" }

    /// The path of the collection or of one object, below the server's base path.
    ///
    /// `/api/v1/namespaces/NS/configmaps/NAME` or `/apis/GROUP/VERSION/RESOURCE/NAME`; the namespace and name are
    /// percent-encoded. A `nil` namespace for a namespaced resource means all namespaces (lists and watches).
    ///
    /// - Throws: ``KubeAPIError`` (`InvalidRequest`) for a namespace on a cluster-scoped resource, or an empty name.
    public func path(namespace: String? = nil, name: String? = nil, subresource: String? = nil) throws -> String {
        var path = self.group.isEmpty ? "/api/\(self.version)" : "/apis/\(self.group)/\(self.version)"
        if let namespace {
            guard self.namespaced else {
                throw KubeAPIError.invalidRequest("\(self) is cluster-scoped but namespace \"\(namespace)\" was given")
            }
            guard !namespace.isEmpty else { throw KubeAPIError.invalidRequest("empty namespace") }
            path += "/namespaces/\(Self.encode(namespace))"
        }
        path += "/\(self.resource)"
        if let name {
            guard !name.isEmpty else { throw KubeAPIError.invalidRequest("empty name") }
            path += "/\(Self.encode(name))"
            if let subresource { path += "/\(Self.encode(subresource))" }
        }
        return path
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters.
    package static func encode(_ segment: String) -> String {
        var result = ""
        for byte in segment.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                result.unicodeScalars.append("%")
                result.unicodeScalars.append(hex[Int(byte >> 4)])
                result.unicodeScalars.append(hex[Int(byte & 0x0F)])
            }
        }
        return result
    }
}

extension KubeResource {
    /// Core `namespaces` (cluster-scoped).
    public static let namespaces = KubeResource(group: "", version: "v1", resource: "namespaces", namespaced: false)
    /// Core `configmaps`.
    public static let configMaps = KubeResource(group: "", version: "v1", resource: "configmaps", namespaced: true)
    /// Core `secrets`.
    public static let secrets = KubeResource(group: "", version: "v1", resource: "secrets", namespaced: true)
    /// Core `pods`.
    public static let pods = KubeResource(group: "", version: "v1", resource: "pods", namespaced: true)
    /// Core `serviceaccounts`.
    public static let serviceAccounts = KubeResource(group: "", version: "v1", resource: "serviceaccounts", namespaced: true)
    /// RBAC `clusterroles` (cluster-scoped).
    public static let clusterRoles = KubeResource(
        group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterroles", namespaced: false)
    /// RBAC `clusterrolebindings` (cluster-scoped).
    public static let clusterRoleBindings = KubeResource(
        group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterrolebindings", namespaced: false)
    /// RBAC `roles`.
    public static let roles = KubeResource(group: "rbac.authorization.k8s.io", version: "v1", resource: "roles", namespaced: true)
    /// RBAC `rolebindings`.
    public static let roleBindings = KubeResource(
        group: "rbac.authorization.k8s.io", version: "v1", resource: "rolebindings", namespaced: true)
}
