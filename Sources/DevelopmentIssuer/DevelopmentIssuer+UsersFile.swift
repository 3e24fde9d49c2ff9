import Foundation
import Yams
import FileSupport
import YAMLSupport

extension DevelopmentIssuer {
    /// A users file for a sandbox:
    ///
    /// ```yaml
    /// users:
    ///   - username: alice
    ///     password: wonderland            # required
    ///     groups: [verrazzano-admins]     # default: none
    ///     roles: [vz_api_access]          # realm roles; default: [vz_api_access]
    ///     subject: 2f1c...                # optional `sub`; default: derived from the username (stable)
    ///     email: alice@example.com        # optional
    /// ```
    ///
    /// Passwords sit in the file in clear: for development only.
    public enum UsersFile {
        /// Reads and validates the users file at `path`.
        ///
        /// - Throws: ``UsersFileError`` naming the file, the user and the field.
        public static func load(path: String) throws(UsersFileError) -> [User] {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw UsersFileError(source: path, problem: .unreadable(FileErrorReason.of(error)))
            }
            return try self.parse(yaml: text, source: path)
        }

        /// The users file text for `users` (every field written, keys sorted), which ``parse(yaml:source:)`` reads
        /// back to the same users: how a sandbox keeps the built-in users' generated passwords for its next start.
        public static func yaml(for users: [User]) -> String {
            let entries: [[String: Any]] = users.map { user in
                var entry: [String: Any] = [
                    "username": user.username, "subject": user.subject, "groups": user.groups, "roles": user.roles,
                ]
                if let password = user.password { entry["password"] = password }
                if let email = user.email { entry["email"] = email }
                return entry
            }
            let body = (try? Yams.dump(object: ["users": entries], sortKeys: true)) ?? "users: []\n"
            return "# Users of the vzauth development issuer. Passwords in clear: for development only.\n" + body
        }

        /// Writes ``yaml(for:)`` to `path` (mode 0600, replacing the file).
        ///
        /// - Throws: ``UsersFileError`` (``UsersFileError/Problem/unwritable(_:)``).
        public static func write(_ users: [User], path: String) throws(UsersFileError) {
            let manager = FileManager.default
            guard manager.createFile(atPath: path, contents: Data(self.yaml(for: users).utf8), attributes: [.posixPermissions: 0o600]) else {
                throw UsersFileError(source: path, problem: .unwritable("cannot create the file"))
            }
            do {
                try manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            } catch {
                throw UsersFileError(source: path, problem: .unwritable(FileErrorReason.of(error)))
            }
        }

        /// Parses and validates users file text; `source` names it in errors.
        ///
        /// - Throws: ``UsersFileError``.
        public static func parse(yaml: String, source: String = "users file") throws(UsersFileError) -> [User] {
            func fail(_ problem: UsersFileError.Problem, _ node: Node? = nil) -> UsersFileError {
                UsersFileError(source: source, line: node?.mark.map { $0.line }, problem: problem)
            }
            let root: Node?
            do {
                root = try Yams.compose(yaml: yaml)
            } catch {
                throw fail(.invalidYAML(YAMLErrorText.describe(error)))
            }
            guard let root, let mapping = root.mapping else {
                throw fail(.notAMapping, root)
            }
            for key in mapping.keys where key.string != "users" {
                throw fail(.unknownField(user: nil, field: key.string ?? "?"), key)
            }
            guard let list = mapping["users"], let entries = list.sequence else {
                throw fail(.missingUsers, root)
            }
            guard !entries.isEmpty else {
                throw fail(.missingUsers, list)
            }
            var users: [User] = []
            var seen: Set<String> = []
            for (index, entry) in entries.enumerated() {
                let label = "users[\(index)]"
                guard let fields = entry.mapping else {
                    throw fail(.invalidField(user: label, field: "", expected: "a mapping with username and password"), entry)
                }
                let name = fields["username"]?.string.flatMap { $0.isEmpty ? nil : "\(label) (\($0))" } ?? label
                for key in fields.keys where !["username", "password", "groups", "roles", "subject", "email"].contains(key.string ?? "") {
                    throw fail(.unknownField(user: name, field: key.string ?? "?"), key)
                }
                func string(_ field: String, required: Bool) throws(UsersFileError) -> String? {
                    guard let node = fields[field] else {
                        if required {
                            throw fail(.missingField(user: name, field: field), entry)
                        }
                        return nil
                    }
                    guard case .scalar(let scalar) = node, !scalar.string.isEmpty, !(scalar.style == .plain && node.null != nil) else {
                        throw fail(.invalidField(user: name, field: field, expected: "a non-empty string"), node)
                    }
                    return scalar.string
                }
                func strings(_ field: String) throws(UsersFileError) -> [String]? {
                    guard let node = fields[field] else {
                        return nil
                    }
                    guard let items = node.sequence else {
                        throw fail(.invalidField(user: name, field: field, expected: "a list of strings"), node)
                    }
                    var values: [String] = []
                    for item in items {
                        guard case .scalar(let scalar) = item, !scalar.string.isEmpty else {
                            throw fail(.invalidField(user: name, field: field, expected: "a list of non-empty strings"), item)
                        }
                        values.append(scalar.string)
                    }
                    return values
                }
                let username = try string("username", required: true)!
                guard seen.insert(username).inserted else {
                    throw fail(.duplicateUsername(username), entry)
                }
                let password = try string("password", required: true)!
                let groups = try strings("groups") ?? []
                let roles = try strings("roles") ?? [User.apiAccessRole]
                let subject = try string("subject", required: false) ?? User.derivedSubject(for: username)
                let email = try string("email", required: false)
                users.append(User(username: username, subject: subject, groups: groups, roles: roles, password: password, email: email))
            }
            return users
        }
    }
}
