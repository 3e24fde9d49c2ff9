/// Multi-document YAML in and out: ``parse(_:source:)`` reads `Verrazzano` and `VerrazzanoProject` resources
/// (and the objects ``render(_:)`` writes); ``render(_:)`` writes the desired state for `kubectl apply -f -`.
public enum RBACYAML {
    /// What ``parse(_:source:)`` read.
    public struct Parsed: Sendable, Hashable {
        /// The `Verrazzano` and `VerrazzanoProject` documents, in order, for ``DesiredState``.
        public var inputs: [InputDocument]
        /// The ClusterRoles, ClusterRoleBindings, Namespaces and RoleBindings, in order.
        public var objects: [DesiredObject]
        /// One line per document that was skipped because it has another kind.
        public var notes: [String]

        /// Creates a result.
        public init(inputs: [InputDocument] = [], objects: [DesiredObject] = [], notes: [String] = []) {
            self.inputs = inputs
            self.objects = objects
            self.notes = notes
        }

        /// Adds the documents of another source.
        public mutating func append(_ other: Parsed) {
            self.inputs += other.inputs
            self.objects += other.objects
            self.notes += other.notes
        }
    }
}
