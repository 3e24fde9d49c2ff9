import Foundation

extension ClaimMapping {
    /// Builds the identity from a verified token's claims, refusing unusable or reserved names.
    func identity(from claims: [String: JSONValue], expiresAt: Date) throws(OIDCError) -> Identity {
        guard case .string(let username)? = Self.lookup(self.usernameClaim, in: claims), !username.isEmpty else {
            throw OIDCError.invalidUsername
        }
        guard Self.isPrintable(username) else {
            throw OIDCError.invalidUsername.with(message: "username contains control characters")
        }
        if !self.allowSystemPrefixedNames, username.hasPrefix("system:") {
            throw OIDCError.forbiddenName.with(message: "username has the reserved prefix system:")
        }

        var groups: [String] = []
        switch Self.lookup(self.groupsClaim, in: claims) {
        case .none:
            break
        case .string(let group)?:
            groups = [group]
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
        for group in groups {
            guard !group.isEmpty, Self.isPrintable(group) else {
                throw OIDCError.invalidGroups.with(message: "a group name is empty or contains control characters")
            }
            if !self.allowSystemPrefixedNames, group.hasPrefix("system:") {
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
        if let requiredRole = self.requiredRole, !roles.contains(requiredRole) {
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
    static func lookup(_ name: String, in claims: [String: JSONValue]) -> JSONValue? {
        if let value = claims[name] {
            return value
        }
        guard name.contains(".") else {
            return nil
        }
        var current: JSONValue = .object(claims)
        for component in name.split(separator: ".", omittingEmptySubsequences: false) {
            guard case .object(let members) = current, let next = members[String(component)] else {
                return nil
            }
            current = next
        }
        return current
    }

    /// `false` if `name` contains a C0 control (< 0x20, including NUL, CR, LF), DEL (0x7F) or a C1 control (0x80–0x9F).
    static func isPrintable(_ name: String) -> Bool {
        for scalar in name.unicodeScalars {
            let value = scalar.value
            if value < 0x20 || (0x7F...0x9F).contains(value) {
                return false
            }
        }
        return true
    }
}
