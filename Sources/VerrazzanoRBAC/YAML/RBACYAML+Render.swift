import Yams

extension RBACYAML {
    /// The keys written first in every mapping, in this order; the others follow sorted.
    static let leadingKeys = ["apiVersion", "kind", "metadata", "name", "namespace"]

    /// Multi-document YAML of `objects`, `---` separated, for `kubectl apply -f -`.
    ///
    /// The output is deterministic: documents in the given order (``DesiredState/objects`` is in apply order), and
    /// in every mapping `apiVersion`, `kind`, `metadata`, `name`, `namespace` first, then the other keys sorted
    /// (so labels are sorted); list order is kept. Strings YAML would read as something else (`"true"`) are quoted.
    public static func render(_ objects: [DesiredObject]) throws -> String {
        guard !objects.isEmpty else { return "" }
        // One encode and one parse for the whole list: per-object encoders and parsers cost more than the work.
        guard let list = try Yams.compose(yaml: try YAMLEncoder().encode(objects))?.sequence else { return "" }
        return try Yams.serialize(nodes: list.map(Self.ordered))
    }

    /// The YAML of the whole desired state (see ``render(_:)``).
    public static func render(_ state: DesiredState) throws -> String {
        try Self.render(state.objects)
    }

    /// `node` with every mapping's keys in render order.
    static func ordered(_ node: Node) -> Node {
        switch node {
        case .mapping(let mapping):
            let pairs = mapping.map { (key: $0.key, value: Self.ordered($0.value)) }.sorted { lhs, rhs in
                Self.sortKey(lhs.key.string ?? "") < Self.sortKey(rhs.key.string ?? "")
            }
            return .mapping(Node.Mapping(pairs.map { ($0.key, $0.value) }, mapping.tag, mapping.style))
        case .sequence(let sequence):
            return .sequence(Node.Sequence(sequence.map(Self.ordered), sequence.tag, sequence.style))
        default:
            return node
        }
    }

    static func sortKey(_ key: String) -> (Int, String) {
        (Self.leadingKeys.firstIndex(of: key) ?? Self.leadingKeys.count, key)
    }
}
