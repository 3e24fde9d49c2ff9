/// The key of a cached object: namespace (empty for cluster-scoped objects) and name.
public struct ObjectKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The namespace, empty for cluster-scoped objects.
    public var namespace: String
    /// The name.
    public var name: String

    /// Creates a key.
    public init(namespace: String = "", name: String) {
        self.namespace = namespace
        self.name = name
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name) }

    /// `namespace/name`, or `name`.
    public var description: String { self.namespace.isEmpty ? self.name : "\(self.namespace)/\(self.name)" }
}
