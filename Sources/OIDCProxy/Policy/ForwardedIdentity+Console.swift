import ProxyFrontDoor

extension ForwardedIdentity {
    /// The names a session carries, all of which the console receives.
    init(_ session: SessionPayload) {
        self.init(username: session.username, groups: session.groups, roles: session.roles)
    }

    /// The first name that cannot reach the console exactly: groups and roles travel comma-joined
    /// (`X-Forwarded-Groups`, `x-proxy-roles`), so a comma in one is refused too. Verified tokens already pass the
    /// checks on the user name and groups; roles and commas are checked only here, and a session sealed by an
    /// earlier version may hold any name.
    var consoleRefusal: Refusal? {
        refusal(commaSeparated: true)
    }
}
