public import OIDC

/// The names a proxy sends upstream for a user, and the one check that each of them arrives exactly as the token
/// has it.
///
/// Every proxy runs ``refusal(commaSeparated:)`` right before it writes the names into headers, whatever they came
/// from (a token just verified, a password grant, a session sealed by an earlier version): the token authenticator
/// already refuses bad user and group names, this is the last line.
public struct ForwardedIdentity: Sendable, Hashable {
    /// The user name.
    public var username: String
    /// The group names, in token order.
    public var groups: [String]
    /// The role names; empty for a proxy that does not send roles.
    public var roles: [String]

    /// Creates an identity from its names.
    public init(username: String, groups: [String], roles: [String] = []) {
        self.username = username
        self.groups = groups
        self.roles = roles
    }

    /// The names of a verified identity: user and groups, and its roles when the proxy sends them (`withRoles`).
    public init(_ identity: Identity, withRoles: Bool) {
        self.init(username: identity.username, groups: identity.groups, roles: withRoles ? identity.roles : [])
    }

    /// The first name that cannot reach the upstream exactly, and why; `nil` when every name can.
    ///
    /// Every name must pass ``OIDC/IdentityName/problem(_:commaSeparated:)``. With `commaSeparated` (a proxy that
    /// joins groups and roles into one header, `X-Forwarded-Groups`), a comma in a group or role is refused too:
    /// the identity is refused rather than a name split in two. A proxy that sends one header per group
    /// (`Impersonate-Group`) lets commas travel.
    public func refusal(commaSeparated: Bool) -> Refusal? {
        if let problem = IdentityName.problem(username) {
            return Refusal(field: .username, position: 1, problem: problem)
        }
        for (index, group) in groups.enumerated() {
            if let problem = IdentityName.problem(group, commaSeparated: commaSeparated) {
                return Refusal(field: .groups, position: index + 1, problem: problem)
            }
        }
        for (index, role) in roles.enumerated() {
            if let problem = IdentityName.problem(role, commaSeparated: commaSeparated) {
                return Refusal(field: .roles, position: index + 1, problem: problem)
            }
        }
        return nil
    }

    /// Which name of an identity cannot be sent, and why (never the name itself: it goes to logs).
    public struct Refusal: Sendable, Hashable {
        /// Where the names come from.
        public enum Field: Sendable, Hashable {
            /// The user name.
            case username
            /// A group.
            case groups
            /// A role.
            case roles
        }

        /// Which list the refused name is in.
        public var field: Field
        /// The name's position in its list, from 1 (1 for the user name).
        public var position: Int
        /// Why it cannot be sent.
        public var problem: IdentityName.Problem

        /// Creates a refusal.
        public init(field: Field, position: Int, problem: IdentityName.Problem) {
            self.field = field
            self.position = position
            self.problem = problem
        }

        /// The claim the refused name comes from, as `mapping` names it.
        public func claim(in mapping: ClaimMapping) -> String {
            switch field {
            case .username: mapping.usernameClaim
            case .groups: mapping.groupsClaim
            case .roles: mapping.rolesClaim
            }
        }

        /// A sentence for logs and answers, such as `group 2 of the groups claim contains a comma, ...`.
        public func explanation(in mapping: ClaimMapping) -> String {
            switch field {
            case .username: "the \(claim(in: mapping)) claim \(problem)"
            case .groups: "group \(position) of the \(claim(in: mapping)) claim \(problem)"
            case .roles: "role \(position) of the \(claim(in: mapping)) claim \(problem)"
            }
        }
    }
}
