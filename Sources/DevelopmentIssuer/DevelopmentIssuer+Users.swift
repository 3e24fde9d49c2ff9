import NIOConcurrencyHelpers
public import Foundation

extension DevelopmentIssuer {
    /// A user of the realm.
    public struct User: Sendable, Hashable {
        /// The login name (`preferred_username`).
        public var username: String
        /// The user id (`sub`), a UUID as in Keycloak.
        public var subject: String
        /// Group names (`groups`).
        public var groups: [String]
        /// Realm roles (`realm_access.roles`).
        public var roles: [String]
        /// The password (login page and password grant); `nil`: this user cannot log in with a password.
        public var password: String?
        /// `email` (with `email_verified: true`) in tokens, if set.
        public var email: String?

        /// Creates a user; by default a Verrazzano admin with a fresh UUID and no password.
        public init(
            username: String,
            subject: String = UUID().uuidString.lowercased(),
            groups: [String] = ["verrazzano-admins"],
            roles: [String] = ["vz_api_access", "offline_access"],
            password: String? = nil,
            email: String? = nil
        ) {
            self.username = username
            self.subject = subject
            self.groups = groups
            self.roles = roles
            self.password = password
            self.email = email
        }
    }

    /// One request to the end-session endpoint, as recorded.
    public struct EndSessionRequest: Sendable, Hashable {
        /// `id_token_hint`, if sent.
        public var idTokenHint: String?
        /// `post_logout_redirect_uri`, if sent.
        public var postLogoutRedirectURI: String?
        /// `client_id`, if sent.
        public var clientID: String?
        /// `state`, if sent.
        public var state: String?
        /// The id of the session that was ended, if one was found (from the cookie, else from the hint's `sid`).
        public var endedSessionID: String?
    }

    /// The name of the cookie modelling the Keycloak session (single sign-on).
    public static let sessionCookieName = "KEYCLOAK_SESSION"

    // MARK: Users and clients

    /// Registers (or replaces) a user.
    public func addUser(_ user: User) {
        self.state.withLockedValue { $0.login.users[user.username] = user }
    }

    /// The registered user named `username`.
    public func user(named username: String) -> User? {
        self.state.withLockedValue { $0.login.users[username] }
    }

    /// For tests: with a user set, the authorization endpoint logs that user in at once when the browser has no session
    /// (counted as an interactive login) instead of showing the login page. The user must be registered.
    public func setAutoLoginUser(_ username: String?) {
        self.state.withLockedValue { $0.login.autoLoginUser = username }
    }

    /// The client ids the authorization and token endpoints accept. Default: just ``clientID`` (with a
    /// configuration: its clients).
    public func setAllowedClients(_ clientIDs: Set<String>) {
        self.state.withLockedValue { $0.login.allowedClients = clientIDs }
    }

    /// Makes `clientID` confidential: the token endpoint then requires this secret (HTTP Basic or
    /// `client_secret`). `nil` makes it public again.
    public func setClientSecret(_ secret: String?, for clientID: String) {
        self.state.withLockedValue { $0.login.clientSecrets[clientID] = secret }
    }

    /// For tests: makes refresh responses carry no ID token, and an access token whose `aud` is the scope string and which has
    /// no `azp` (opaque to a relying party, as OpenID Connect Core 12.2 allows).
    public func setRefreshOmitsIDToken(_ omits: Bool) {
        self.state.withLockedValue { $0.login.refreshOmitsIDToken = omits }
    }

    /// Token lifetimes in seconds (defaults: access 300, refresh 1800, code 60). Very short values are fine.
    public func setTokenLifetimes(access: TimeInterval? = nil, refresh: TimeInterval? = nil, code: TimeInterval? = nil) {
        self.state.withLockedValue { state in
            if let access { state.login.accessTokenLifetime = access }
            if let refresh { state.login.refreshTokenLifetime = refresh }
            if let code { state.login.codeLifetime = code }
        }
    }

    /// For tests: how the token endpoint answers: normally, with a status (for example 503), never, or after a delay.
    /// Requests are counted either way.
    public func setTokenEndpointBehaviour(_ behaviour: Behaviour) {
        self.state.withLockedValue { $0.login.tokenEndpointBehaviour = behaviour }
    }

    // MARK: Sessions

    /// Logs `username` in as if through the login page and returns the `KEYCLOAK_SESSION` cookie value (send it
    /// as `Cookie: KEYCLOAK_SESSION=<value>` to get single sign-on). Not counted as a login.
    public func startSession(for username: String) -> String {
        self.state.withLockedValue { $0.login.startSession(for: username) }
    }

    /// The number of live Keycloak sessions.
    public var activeSessionCount: Int {
        self.state.withLockedValue { $0.login.sessions.count }
    }

    /// Ends every session of `username` (as an administrator's "sign out" does): cookies, codes and refresh
    /// tokens of those sessions stop working.
    public func endSessions(of username: String) {
        let due = self.state.withLockedValue { state in
            var due: [PendingBackchannelLogout] = []
            for (sessionID, session) in state.login.sessions where session.username == username {
                due += state.login.endSession(sessionID)
            }
            return due
        }
        self.sendBackchannelLogouts(due)
    }

    /// Revokes the refresh tokens of `username`'s sessions (the sessions themselves stay).
    public func revokeRefreshTokens(of username: String) {
        self.state.withLockedValue { state in
            let sessionIDs = Set(state.login.sessions.filter { $0.value.username == username }.keys)
            state.login.refreshTokens = state.login.refreshTokens.filter { !sessionIDs.contains($0.value.sessionID) }
        }
    }

    /// Revokes every refresh token.
    public func revokeAllRefreshTokens() {
        self.state.withLockedValue { $0.login.refreshTokens = [:] }
    }

    // MARK: Counters (for tests)

    /// Logins that needed the user (no session cookie; auto-login user).
    public var interactiveLoginCount: Int {
        self.state.withLockedValue { $0.login.interactiveLogins }
    }

    /// Authorization requests answered at once from an existing session (single sign-on).
    public var ssoLoginCount: Int {
        self.state.withLockedValue { $0.login.ssoLogins }
    }

    /// Token requests with `grant_type=authorization_code` (successful or not).
    public var codeExchangeCount: Int {
        self.state.withLockedValue { $0.login.codeExchanges }
    }

    /// Token requests with `grant_type=refresh_token` (successful or not).
    public var refreshCount: Int {
        self.state.withLockedValue { $0.login.refreshCalls }
    }

    /// Token requests with `grant_type=password` (successful or not).
    public var passwordGrantCount: Int {
        self.state.withLockedValue { $0.login.passwordGrants }
    }

    /// How many requests the token endpoint answered, of every grant (code exchanges, refreshes, password grants,
    /// device code polls).
    public var tokenRequestCount: Int {
        self.state.withLockedValue {
            $0.login.codeExchanges + $0.login.refreshCalls + $0.login.passwordGrants + $0.login.devicePolls
        }
    }

    /// Every request to the end-session endpoint, in order.
    public var endSessionRequests: [EndSessionRequest] {
        self.state.withLockedValue { $0.login.endSessionRequests }
    }

    // MARK: Back-channel logout

    /// Mints a Back-Channel Logout token signed with the current key (header `typ: logout+jwt`), as Keycloak sends
    /// to a client's back-channel logout URL.
    ///
    /// - Parameters:
    ///   - subject: `sub`, or `nil` to omit it.
    ///   - sessionID: `sid`, or `nil` to omit it.
    ///   - clientID: `aud`; default ``clientID``.
    ///   - now: `iat` (and `exp` = `iat` + 120 s).
    ///   - tokenID: `jti`; default a fresh UUID.
    public func mintLogoutToken(
        subject: String?,
        sessionID: String?,
        clientID: String? = nil,
        now: Date = Date(),
        tokenID: String = UUID().uuidString.lowercased()
    ) -> String {
        var minter = self.minter
        if let clientID {
            minter.clientID = clientID
        }
        return minter.mintLogoutToken(
            claims: minter.logoutTokenClaims(now: now, subject: subject, sessionID: sessionID, tokenID: tokenID)
        )
    }
}
