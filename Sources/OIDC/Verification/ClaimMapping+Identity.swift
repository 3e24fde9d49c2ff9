import Foundation

extension ClaimMapping {
    /// Builds the identity from a verified token's claims, refusing unusable or reserved names.
    ///
    /// The user name and every group must pass ``IdentityName/problem(_:commaSeparated:)`` (they are sent in
    /// headers); role names are not checked here (only the OIDC proxy sends them, and checks them itself). The
    /// `system:` prefix and the required role are compared on the exact bytes.
    func identity(from claims: [String: StrictJSONValue], expiresAt: Date) throws(OIDCError) -> Identity {
        guard case .string(let username)? = Self.lookup(self.usernameClaim, in: claims) else {
            throw OIDCError.invalidUsername
        }
        if let problem = IdentityName.problem(username) {
            throw OIDCError.invalidUsername.with(message: "the \(self.usernameClaim) claim \(problem)")
        }
        if !self.allowSystemPrefixedNames, IdentityName.hasSystemPrefix(username) {
            throw OIDCError.forbiddenName.with(message: "username has the reserved prefix system:")
        }

        var groups: [String] = []
        switch Self.lookup(self.groupsClaim, in: claims) {
        case .none:
            break
        case .string(let group)?:
            if let delimiter = self.groupsDelimiter {
                groups = group.split(separator: delimiter).compactMap { piece in
                    var piece = piece
                    while piece.first == " " { piece.removeFirst() }
                    while piece.last == " " { piece.removeLast() }
                    return piece.isEmpty ? nil : String(piece)
                }
            } else {
                groups = [group]
            }
        case .array(let entries)?:
            groups.reserveCapacity(entries.count)
            for entry in entries {
                guard case .string(let group) = entry else {
                    throw OIDCError.invalidGroups.with(message: "groups contains a non-string entry")
                }
                groups.append(group)
            }
        default:
            throw OIDCError.invalidGroups.with(message: "groups is neither a string nor an array")
        }
        for (index, group) in groups.enumerated() {
            if let problem = IdentityName.problem(group) {
                throw OIDCError.invalidGroups.with(
                    message: "group \(index + 1) of the \(self.groupsClaim) claim \(problem)")
            }
            if !self.allowSystemPrefixedNames, IdentityName.hasSystemPrefix(group) {
                throw OIDCError.forbiddenName.with(message: "a group has the reserved prefix system:")
            }
        }

        var roles: [String] = []
        switch Self.lookup(self.rolesClaim, in: claims) {
        case .string(let role)?:
            roles = [role]
        case .array(let entries)?:
            roles = entries.compactMap(\.stringValue)
        default:
            break
        }
        if let requiredRole = self.requiredRole, !roles.contains(where: { IdentityName.isSame($0, requiredRole) }) {
            throw OIDCError.missingRole
        }

        return Identity(
            username: username,
            groups: groups,
            roles: roles,
            expiresAt: expiresAt,
            subject: claims["sub"]?.stringValue,
            sessionID: claims["sid"]?.stringValue
        )
    }

    /// Finds a claim by exact name; a dotted name not present at the top level is walked as a path.
    static func lookup(_ name: String, in claims: [String: StrictJSONValue]) -> StrictJSONValue? {
        if let value = claims[name] {
            return value
        }
        guard name.contains(".") else {
            return nil
        }
        var current: StrictJSONValue = .object(claims)
        for component in name.split(separator: ".", omittingEmptySubsequences: false) {
            guard case .object(let members) = current, let next = members[String(component)] else {
                return nil
            }
            current = next
        }
        return current
    }
}
