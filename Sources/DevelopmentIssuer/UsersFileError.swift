/// Why a users file was refused: where (file and line) and what (the user and the field).
public struct UsersFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public enum Problem: Sendable, Hashable {
        /// The file cannot be read.
        case unreadable(String)
        /// The file cannot be written.
        case unwritable(String)
        /// The text is not YAML.
        case invalidYAML(String)
        /// The document is not a mapping.
        case notAMapping
        /// There is no non-empty `users` list.
        case missingUsers
        /// A field the format does not know (a typo, most likely).
        case unknownField(user: String?, field: String)
        /// A required field is absent.
        case missingField(user: String, field: String)
        /// A field has the wrong type or is empty.
        case invalidField(user: String, field: String, expected: String)
        /// Two users share a name.
        case duplicateUsername(String)
    }

    /// The file (or the name the text was given).
    public var source: String
    /// The line (from 1) of the offending node, if known.
    public var line: Int?
    /// What is wrong.
    public var problem: Problem

    /// Creates an error.
    public init(source: String, line: Int? = nil, problem: Problem) {
        self.source = source
        self.line = line
        self.problem = problem
    }

    /// The message for the user, such as `users.yaml line 4: users[1] (bob): field "groups" must be a list of strings`.
    public var description: String {
        let place = self.source + (self.line.map { " line \($0)" } ?? "")
        switch self.problem {
        case .unreadable(let reason): return "cannot read users file \(self.source): \(reason)"
        case .unwritable(let reason): return "cannot write users file \(self.source): \(reason)"
        case .invalidYAML(let reason): return "\(place): not valid YAML: \(reason)"
        case .notAMapping: return "\(place): expected a mapping with a \"users\" list"
        case .missingUsers: return "\(place): field \"users\" must be a non-empty list of users"
        case .unknownField(let user, let field):
            return "\(place): \(user.map { $0 + ": " } ?? "")unknown field \"\(field)\""
                + (user == nil ? " (only \"users\")" : " (username, password, groups, roles, subject, email)")
        case .missingField(let user, let field): return "\(place): \(user): field \"\(field)\" is required"
        case .invalidField(let user, let field, let expected):
            return field.isEmpty ? "\(place): \(user) must be \(expected)" : "\(place): \(user): field \"\(field)\" must be \(expected)"
        case .duplicateUsername(let name): return "\(place): username \"\(name)\" appears twice"
        }
    }
}
