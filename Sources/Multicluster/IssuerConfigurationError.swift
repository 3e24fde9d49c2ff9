/// Why an `issuers:` list cannot be used: every problem found, each naming its field and the fix.
public struct IssuerConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// One problem.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        /// The field, e.g. `issuers[1].client-id`.
        public var field: String
        /// What is wrong and how to fix it.
        public var message: String

        /// Creates a problem.
        public init(field: String, message: String) {
            self.field = field
            self.message = message
        }

        /// `field: message`.
        public var description: String { "\(self.field): \(self.message)" }
    }

    /// The problems, in the order of the list.
    public var problems: [Problem]

    /// One problem a line.
    public var description: String { self.problems.map(\.description).joined(separator: "\n") }
}
