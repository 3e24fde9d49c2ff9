public import Foundation
public import Logging
import NIOCore
import NIOHTTP1
public import OIDC
public import ProxyCore
import ProxyFrontDoor

/// The OIDC proxy's decision for each request: its own endpoints (login callback, logout, back-channel logout),
/// then a machine client's `Authorization`, then the browser session cookie, else a login (browsers) or 401.
///
/// Authenticated requests are forwarded to the route's console with the user's identity in headers; identity
/// headers sent by the client, the `Authorization` header and the proxy's own cookies never reach the console.
public final class OIDCProxyPolicy: RequestPolicy {
    let configuration: OIDCProxyConfiguration
    let routes: RouteTable
    let authenticator: TokenAuthenticator
    let tokenClient: OIDCTokenClient
    let logoutVerifier: LogoutTokenVerifier
    let discovery: @Sendable () -> OIDCDiscoveryDocument?
    let sessions: SessionCookieCodec
    let loginStates: LoginStateCookieCodec
    let cookieAttributes: CookieAttributes
    let logouts: LogoutRegistry
    let refreshes: SingleFlight<RefreshedSession>
    let passwords: PasswordGrantClient
    let openedSessions = OpenedSessionCache()
    let metrics: OIDCProxyMetrics
    let logger: Logger
    let now: @Sendable () -> Date

    /// Creates the policy.
    ///
    /// - Parameters:
    ///   - configuration: client ids, lifetimes, refresh timing.
    ///   - routes: the consoles.
    ///   - authenticator: verifies bearer, ID and access tokens (its policy must allow both client ids).
    ///   - tokenClient: the identity provider's token endpoint.
    ///   - logoutVerifier: verifies back-channel logout tokens.
    ///   - discovery: the identity provider's current discovery document (authorization and end-session endpoints).
    ///   - sealer: seals the session and login-state cookies.
    ///   - secureCookies: whether cookies carry `Secure` (the consoles are reached over https).
    ///   - metrics: login, refresh and session counters.
    ///   - logger: for failures talking to the identity provider (never tokens).
    ///   - now: the clock.
    /// - Throws: ``CookieError`` for invalid cookie settings.
    public init(configuration: OIDCProxyConfiguration, routes: RouteTable, authenticator: TokenAuthenticator,
                tokenClient: OIDCTokenClient, logoutVerifier: LogoutTokenVerifier,
                discovery: @escaping @Sendable () -> OIDCDiscoveryDocument?, sealer: CookieSealer, secureCookies: Bool,
                metrics: OIDCProxyMetrics, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) throws(CookieError) {
        self.configuration = configuration
        self.routes = routes
        self.authenticator = authenticator
        self.tokenClient = tokenClient
        self.logoutVerifier = logoutVerifier
        self.discovery = discovery
        let attributes = try CookieAttributes(path: "/", secure: secureCookies, sameSite: .lax)
        self.cookieAttributes = attributes
        self.sessions = try SessionCookieCodec(sealer: sealer, attributes: attributes)
        self.loginStates = try LoginStateCookieCodec(sealer: sealer, attributes: attributes)
        self.logouts = LogoutRegistry(retention: configuration.sessionMaxLifetime)
        self.refreshes = SingleFlight(retention: .seconds(60))
        let mapping = authenticator.mapping
        self.passwords = PasswordGrantClient(
            clientID: configuration.passwordClientID, clientSecret: configuration.passwordClientSecret,
            tokenClient: tokenClient, authenticator: authenticator,
            scope: { configuration.requestedScope(discovery: discovery()) }, lifetime: configuration.passwordCacheLifetime,
            accept: { Self.consoleAcceptance($0, mapping: mapping, logger: logger) }, logger: logger, now: now)
        self.metrics = metrics
        self.logger = logger
        self.now = now
    }

    public func decide(_ received: RequestHead, connection: ConnectionInfo) -> PolicyOutcome {
        // The flows work on NIO's head (a string per field): cookies and sealing cost far more than that.
        let head = received.httpRequestHead
        guard let route = routes.route(forHost: head.headers.first(name: "host")) else {
            return .immediate(.respond(.consoleText(
                ProxyRefusal(.misdirectedRequest, reason: "unknown_host", message: "No console is served for this host"))))
        }
        guard head.uri.utf8.first == UInt8(ascii: "/") else {
            return .immediate(.respond(.consoleText(
                ProxyRefusal(.badRequest, reason: "bad_path", message: "Bad request target"))))
        }
        let path = Self.path(of: head.uri)
        let request = ConsoleRequest(received: received, route: route, connection: connection, path: path)

        // The proxy's own endpoints.
        if path.utf8.first == UInt8(ascii: "/"), path.utf8.dropFirst().first == UInt8(ascii: "_") {
            if path == OIDCProxyPaths.callback { return completeLogin(request) }
            if path == OIDCProxyPaths.logout { return .immediate(.respond(logout(request))) }
            if path == OIDCProxyPaths.backChannelLogout { return .immediate(backChannelLogout(request)) }
        }

        // Machine clients: Authorization wins over cookies.
        let authorizations = head.headers[canonicalForm: "authorization"]
        if authorizations.count > 1 {
            return .immediate(.respond(.consoleText(
                ProxyRefusal(.badRequest, reason: "multiple_authorization", message: "More than one Authorization header"))))
        }
        if let authorization = authorizations.first {
            return authenticateMachineClient(String(authorization), request: request)
        }

        // Browsers: the session cookie.
        return resumeSession(request)
    }

    public func upstreamFailureResponse(_ error: any Error, for head: RequestHead) -> LocalResponse {
        if error is UpstreamConnectFailure {
            return .consoleText(ProxyRefusal(.serviceUnavailable, reason: nil, message: "The console is not reachable"))
        }
        if error is UpstreamResponseTimeout {
            return .consoleText(ProxyRefusal(.gatewayTimeout, reason: nil, message: "The console did not answer in time"))
        }
        return .consoleText(
            ProxyRefusal(.badGateway, reason: nil, message: "The console closed the connection unexpectedly"))
    }

    /// The path of an origin-form target, without query or fragment.
    static func path(of uri: String) -> Substring {
        let bytes = uri.utf8
        let end = bytes.firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? bytes.endIndex
        return Substring(bytes[..<end])
    }

    // MARK: Outcomes shared by the flows

    /// What to do for a request that has no acceptable login: send a browser opening a page to log in, answer
    /// anything else 401. `cookies` (deletions of a rejected session) go with either answer.
    func unauthenticated(_ request: ConsoleRequest, reason: String, cookies: [SetCookie] = []) -> LocalResponse {
        if request.isBrowserNavigation && request.route.allowsLoginRedirect(for: request.path) {
            return startLogin(request, extraCookies: cookies)
        }
        metrics.authenticationFailed(reason)
        return .consoleText(
            ProxyRefusal(.unauthorized, reason: reason, message: "Authentication required", challenge: .bearer),
            cookies: cookies)
    }

    /// Forwards `request` as `identity`, with `setCookies` added to the console's response; answers 401 instead
    /// when a name of `identity` cannot reach the console exactly (``ForwardedIdentity/consoleRefusal``).
    func forward(_ request: ConsoleRequest, as identity: ForwardedIdentity, setCookies: [SetCookie] = []) -> ProxyDecision {
        if let refusal = identity.consoleRefusal {
            logRefusedIdentity(refusal, context: "request")
            let explanation = refusal.explanation(in: authenticator.mapping)
            return .respond(.consoleText(
                ProxyRefusal(.unauthorized, reason: "invalid_identity",
                             message: "Invalid identity in token: \(explanation)")))
        }
        let relayed = request.forwardedHead(as: identity)
        var appended = HTTPHeaders()
        if !setCookies.isEmpty {
            appended.reserveCapacity(setCookies.count)
            for cookie in setCookies { appended.add(name: "Set-Cookie", value: cookie.headerValue) }
        }
        return .forward(ForwardPlan(upstream: request.route.upstream, relaying: relayed, appendedResponseHeaders: appended,
                                    logUser: identity.username))
    }

    /// The required role, checked on identities that did not pass through the token authenticator's claim rules
    /// (a session made before the role was required): `nil` when allowed, else the 403 answer.
    func roleRefusal(_ roles: [String], user: String) -> LocalResponse? {
        guard let required = authenticator.mapping.requiredRole,
              !roles.contains(where: { IdentityName.isSame($0, required) }) else { return nil }
        metrics.authenticationFailed("missing_role")
        return .consoleText(
            ProxyRefusal(.forbidden, reason: "missing_role", message: "The role \(required) is required", logUser: user))
    }

    /// Logs an identity refused because a name cannot reach the console exactly: which claim, and why. Never the
    /// names (the refused one may hold control characters) and never a token. `context` says where it was found
    /// (`login`, `refresh`, `session`, ...).
    func logRefusedIdentity(_ refusal: ForwardedIdentity.Refusal, context: String) {
        Self.logRefusedIdentity(refusal, context: context, mapping: authenticator.mapping, logger: logger)
    }

    static func logRefusedIdentity(_ refusal: ForwardedIdentity.Refusal, context: String, mapping: ClaimMapping, logger: Logger) {
        logger.warning("\(context): identity refused, a name cannot be sent to the console exactly", metadata: [
            "reason": "invalid_identity", "claim": "\(refusal.claim(in: mapping))",
            "detail": "\(refusal.explanation(in: mapping))",
        ])
    }
}
