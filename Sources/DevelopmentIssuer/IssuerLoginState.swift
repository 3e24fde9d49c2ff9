import Foundation

/// Everything the issuer's login endpoints remember: users, clients, Keycloak sessions, codes, refresh tokens,
/// settings and counters. Guarded by the issuer's lock.
struct IssuerLoginState {
    /// A Keycloak user session (created by a browser login or a password grant).
    struct Session {
        var username: String
        /// The clients tokens were issued to in this session (they get a back-channel logout when it ends).
        var clients: Set<String> = []
    }

    /// An issued, not yet exchanged authorization code.
    struct PendingCode {
        var clientID: String
        var redirectURI: String
        var codeChallenge: String
        var nonce: String?
        var scope: String
        var sessionID: String
        var expiresAt: Date
    }

    /// What a live refresh token (by `jti`) may be exchanged for.
    struct RefreshGrant {
        var clientID: String
        var sessionID: String
        var nonce: String?
        var scope: String
        var expiresAt: Date
    }

    /// A device login (RFC 8628) waiting for, or given, the user's approval.
    struct PendingDevice {
        enum Status {
            case pending
            case approved(sessionID: String)
            case denied
        }

        var clientID: String
        var userCode: String
        var scope: String
        var expiresAt: Date
        var lastPollAt: Date?
        var status: Status = .pending
    }

    var users: [String: DevelopmentIssuer.User] = [:]
    var autoLoginUser: String?
    var allowedClients: Set<String>
    var clientSecrets: [String: String] = [:]
    /// Valid redirect URIs by client (see ``RedirectURIMatcher``), checked when ``enforcesRedirectURIs``.
    var redirectURIs: [String: [String]] = [:]
    var enforcesRedirectURIs = false
    /// Back-channel logout URIs by client.
    var backchannelLogoutURIs: [String: String] = [:]
    /// CA certificates (PEM file) for `https` back-channel logout URIs; `nil`: the system's.
    var backchannelLogoutCAFile: String?
    var backchannelLogoutTimeout: TimeInterval = 10
    var backchannelLogoutDeliveries: [DevelopmentIssuer.BackchannelLogoutDelivery] = []
    var accessTokenLifetime: TimeInterval = 300
    /// Refresh responses carry no ID token and an access token for another audience (the scope string, no `azp`),
    /// as providers that follow OpenID Connect Core 12.2 to the letter answer.
    var refreshOmitsIDToken = false
    var refreshTokenLifetime: TimeInterval = 1800
    var codeLifetime: TimeInterval = 60
    var tokenEndpointBehaviour: DevelopmentIssuer.Behaviour = .normal
    /// Whether clients may use the device authorization grant (Keycloak: "OAuth 2.0 Device Authorization Grant"
    /// in the client's capability config).
    var deviceGrantEnabled = true
    var deviceCodeLifetime: TimeInterval = 600
    var devicePollingInterval: TimeInterval = 5

    var sessions: [String: Session] = [:]
    var codes: [String: PendingCode] = [:]
    var refreshTokens: [String: RefreshGrant] = [:]
    /// Device logins by device code.
    var deviceCodes: [String: PendingDevice] = [:]

    var interactiveLogins = 0
    var ssoLogins = 0
    var codeExchanges = 0
    var refreshCalls = 0
    var passwordGrants = 0
    var deviceAuthorizations = 0
    var devicePolls = 0
    var endSessionRequests: [DevelopmentIssuer.EndSessionRequest] = []

    init(clientID: String) {
        self.allowedClients = [clientID]
    }

    /// Starts a session for `username` and returns its id (`sid`, also the `KEYCLOAK_SESSION` cookie value).
    mutating func startSession(for username: String) -> String {
        let sessionID = UUID().uuidString.lowercased()
        self.sessions[sessionID] = Session(username: username)
        return sessionID
    }

    /// Whether `redirectURI` may be used by `clientID` (always, unless enforcing).
    func allowsRedirect(_ redirectURI: String, for clientID: String?) -> Bool {
        guard self.enforcesRedirectURIs else {
            return true
        }
        let patterns = clientID.map { self.redirectURIs[$0] ?? [] } ?? self.redirectURIs.values.flatMap { $0 }
        return RedirectURIMatcher.matches(redirectURI, patterns: patterns)
    }

    /// Ends a session: its cookie, codes and refresh tokens stop working. Returns the back-channel logouts due
    /// (one per client of the session with a back-channel logout URI).
    @discardableResult
    mutating func endSession(_ sessionID: String) -> [DevelopmentIssuer.PendingBackchannelLogout] {
        guard let session = self.sessions.removeValue(forKey: sessionID) else {
            return []
        }
        let subject = self.users[session.username]?.subject
        let due = session.clients.sorted().compactMap { clientID in
            self.backchannelLogoutURIs[clientID].map {
                DevelopmentIssuer.PendingBackchannelLogout(clientID: clientID, uri: $0, subject: subject, sessionID: sessionID)
            }
        }
        self.codes = self.codes.filter { $0.value.sessionID != sessionID }
        self.refreshTokens = self.refreshTokens.filter { $0.value.sessionID != sessionID }
        return due
    }
}
