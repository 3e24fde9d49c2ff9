/// A label query (`meta/v1` `LabelSelector`): every `matchLabels` pair and every `matchExpressions` requirement
/// must hold. An empty selector matches everything.
public struct LabelSelector: Codable, Sendable, Hashable {
    /// A requirement on one label key.
    public struct Requirement: Codable, Sendable, Hashable {
        /// The label key.
        public var key: String
        /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
        public var `operator`: String
        /// The values for `In` and `NotIn`.
        public var values: [String]?

        /// Creates a requirement.
        public init(key: String, operator: String, values: [String]? = nil) {
            self.key = key
            self.operator = `operator`
            self.values = values
        }

        /// Whether `labels` satisfy the requirement; an unknown operator matches nothing.
        public func matches(_ labels: [String: String]) -> Bool {
            switch self.operator {
            case "In": labels[self.key].map { (self.values ?? []).contains($0) } ?? false
            case "NotIn": labels[self.key].map { !(self.values ?? []).contains($0) } ?? true
            case "Exists": labels[self.key] != nil
            case "DoesNotExist": labels[self.key] == nil
            default: false
            }
        }
    }

    /// Labels that must be present with exactly these values.
    public var matchLabels: [String: String]?
    /// Further requirements.
    public var matchExpressions: [Requirement]?

    /// Creates a selector.
    public init(matchLabels: [String: String]? = nil, matchExpressions: [Requirement]? = nil) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }

    /// Whether an object with `labels` is selected.
    public func matches(_ labels: [String: String]) -> Bool {
        for (key, value) in self.matchLabels ?? [:] where labels[key] != value { return false }
        return (self.matchExpressions ?? []).allSatisfy { $0.matches(labels) }
    }
}
