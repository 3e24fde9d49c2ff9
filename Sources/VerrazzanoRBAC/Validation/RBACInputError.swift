/// Problems with the input: every problem found, each located by source, document, object and field path.
///
/// ```
/// projects.yaml[1]: VerrazzanoProject verrazzano-mc/sales: spec.security.projectAdminSubjects[1].namespace: Required value: a ServiceAccount needs a namespace
/// ```
public struct RBACInputError: Error, Sendable, Hashable, CustomStringConvertible {
    /// One problem.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        /// The name the caller gave the input, e.g. a file name.
        public var source: String
        /// The document's index in the source (from 0), if the source has several.
        public var documentIndex: Int?
        /// The object's kind, e.g. `VerrazzanoProject` (empty if it could not be read).
        public var kind: String
        /// The object's name (empty if it has none).
        public var name: String
        /// The object's namespace, if it has one.
        public var namespace: String?
        /// The field, e.g. `spec.security.adminSubjects[1].namespace`; empty for the whole document.
        public var path: String
        /// What kind of problem.
        public var reason: Reason
        /// What is wrong.
        public var message: String

        /// Creates a problem.
        public init(
            source: String,
            documentIndex: Int? = nil,
            kind: String,
            name: String,
            namespace: String? = nil,
            path: String,
            reason: Reason,
            message: String
        ) {
            self.source = source
            self.documentIndex = documentIndex
            self.kind = kind
            self.name = name
            self.namespace = namespace
            self.path = path
            self.reason = reason
            self.message = message
        }

        /// `source[index]: Kind namespace/name: path: Reason: message`.
        public var description: String {
            var text = self.source
            if let index = self.documentIndex { text += "[\(index)]" }
            text += ":"
            if !self.kind.isEmpty {
                let name = self.name.isEmpty ? "(no name)" : self.name
                text += " \(self.kind) " + (self.namespace.map { "\($0)/\(name)" } ?? name) + ":"
            }
            if !self.path.isEmpty { text += " \(self.path):" }
            return text + " \(self.reason): \(self.message)"
        }
    }

    /// The kind of a problem, named as Kubernetes names field errors.
    public struct Reason: Sendable, Hashable, CustomStringConvertible {
        private enum Code: String, Sendable, Hashable {
            case required = "Required value"
            case notSupported = "Unsupported value"
            case invalid = "Invalid value"
            case duplicate = "Duplicate value"
            case conflict = "Conflict"
            case unreadable = "Unreadable"
        }

        private let code: Code

        /// A required field is missing or empty.
        public static let required = Reason(code: .required)
        /// The value is not one of the allowed values.
        public static let notSupported = Reason(code: .notSupported)
        /// The value is malformed.
        public static let invalid = Reason(code: .invalid)
        /// The value appears twice where it must be unique.
        public static let duplicate = Reason(code: .duplicate)
        /// The value collides with another document.
        public static let conflict = Reason(code: .conflict)
        /// The document could not be read (YAML syntax, wrong type, unsupported version).
        public static let unreadable = Reason(code: .unreadable)

        /// E.g. `Required value`.
        public var description: String { self.code.rawValue }
    }

    /// The problems, in input order.
    public var problems: [Problem]

    /// Creates an error.
    public init(problems: [Problem]) {
        self.problems = problems
    }

    /// One line per problem.
    public var description: String { self.problems.map(\.description).joined(separator: "\n") }
}
