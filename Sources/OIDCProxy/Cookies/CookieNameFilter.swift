/// A set of cookie names, given exactly or by prefix, matched byte for byte (case-sensitive).
public struct CookieNameFilter: Sendable, Hashable {
    /// Names matched exactly.
    public var names: Set<String>
    /// Prefixes: a name that starts with one of them matches.
    public var prefixes: [String]

    /// Creates a filter.
    public init(names: Set<String> = [], prefixes: [String] = []) {
        self.names = names
        self.prefixes = prefixes
    }

    /// Whether `name` matches.
    public func matches(_ name: some StringProtocol) -> Bool {
        for prefix in self.prefixes where name.utf8.starts(with: prefix.utf8) {
            return true
        }
        // Compare bytes: `String` equality is Unicode canonical equivalence, not exact.
        for candidate in self.names where name.utf8.elementsEqual(candidate.utf8) {
            return true
        }
        return false
    }
}
