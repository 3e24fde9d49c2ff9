import Foundation
import Logging
import NIOCore
import NIOHTTP1
import OIDC
import ProxyCore
import ProxyFrontDoor

extension OIDCProxyPolicy {
    /// Sends a browser to the identity provider's login with a fresh PKCE verifier, state and nonce, kept in the
    /// sealed `vz_state` cookie together with the URL to come back to.
    func startLogin(_ request: ConsoleRequest, extraCookies: [SetCookie]) -> LocalResponse {
        guard let document = discovery(), let endpoint = document.authorizationEndpoint else {
            return .consoleText(
                ProxyRefusal(.serviceUnavailable, reason: "issuer_unavailable",
                             message: "The identity provider is not available yet"), cookies: extraCookies)
        }
        let authorization = OIDCAuthorizationRequest()
        var state = LoginState(state: authorization.state, nonce: authorization.nonce,
                               codeVerifier: authorization.codeVerifier, originalURL: request.returnPath, createdAt: now())
        let stateCookie: SetCookie
        do {
            stateCookie = try loginStates.setCookie(for: state)
        } catch {
            // An unusually long return URL: come back to the start page instead.
            state.originalURL = "/"
            guard let cookie = try? loginStates.setCookie(for: state) else {
                return .consoleText(ProxyRefusal(.internalServerError, reason: nil, message: "Cannot start the login"))
            }
            stateCookie = cookie
        }
        metrics.login("started")
        let location = authorization.authorizationURL(
            endpoint: endpoint, clientID: configuration.loginClientID, redirectURI: request.route.redirectURI,
            scope: configuration.requestedScope(discovery: document))
        return .redirect(to: location, cookies: extraCookies + [stateCookie])
    }

    /// `/_authentication_callback`: checks the state against `vz_state`, exchanges the code with the verifier,
    /// verifies the ID token and its nonce, creates the session and sends the browser back where it started.
    func completeLogin(_ request: ConsoleRequest) -> PolicyOutcome {
        let cookies = RequestCookies(headers: request.head.headers)
        let clearState = loginStates.deletionCookie()
        let query = FormParameters(query: request.head.uri)
        guard request.head.method == .GET else {
            return .immediate(.respond(.consoleText(
                ProxyRefusal(.methodNotAllowed, reason: nil, message: "The login callback takes GET"),
                cookies: [clearState])))
        }
        if let error = query["error"] {
            metrics.login("failed")
            let known = ["access_denied", "login_required", "interaction_required", "consent_required",
                         "temporarily_unavailable", "server_error", "invalid_request", "unauthorized_client"]
            let code = known.contains(error) ? error : "other"
            return .immediate(.respond(.consoleText(
                ProxyRefusal(code == "access_denied" ? .forbidden : .unauthorized, reason: "login_error",
                             message: "The identity provider refused the login (\(code))"), cookies: [clearState])))
        }
        let pending: LoginState
        switch loginStates.loginState(in: cookies, now: now()) {
        case .valid(let state):
            pending = state
        case .absent:
            metrics.login("failed")
            return .immediate(.respond(.consoleText(
                ProxyRefusal(.unauthorized, reason: "no_login_state",
                             message: "No login in progress (or it took longer than 5 minutes)"), cookies: [clearState])))
        case .rejected(let reason):
            metrics.login("failed")
            metrics.sessionRejected("state_" + reason.metricLabel)
            return .immediate(.respond(.consoleText(
                ProxyRefusal(.unauthorized, reason: "bad_login_state", message: "The login state is invalid"),
                cookies: [clearState])))
        }
        guard let state = query["state"], ConstantTime.equals(state, pending.state) else {
            metrics.login("failed")
            return .immediate(.respond(.consoleText(
                ProxyRefusal(.unauthorized, reason: "state_mismatch", message: "The login state does not match"),
                cookies: [clearState])))
        }
        guard let code = query["code"], !code.isEmpty, code.utf8.count <= 4_096 else {
            metrics.login("failed")
            return .immediate(.respond(.consoleText(
                ProxyRefusal(.badRequest, reason: "no_code", message: "The login callback has no code"),
                cookies: [clearState])))
        }

        return .deferred(.task { [self] in
            .respond(await exchange(code: code, pending: pending, request: request, cookies: cookies, clearState: clearState))
        })
    }

    private func exchange(code: String, pending: LoginState, request: ConsoleRequest, cookies: RequestCookies,
                          clearState: SetCookie) async -> LocalResponse {
        let tokens: OIDCTokenResponse
        do throws(OIDCTokenEndpointError) {
            tokens = try await tokenClient.exchangeCode(
                code, codeVerifier: pending.codeVerifier, redirectURI: request.route.redirectURI,
                clientID: configuration.loginClientID, clientSecret: configuration.loginClientSecret?.current())
        } catch {
            metrics.login("failed")
            logger.warning("login: the code exchange failed", metadata: ["error": "\(error)"])
            let status: HTTPResponseStatus = error.kind == .rejected ? .unauthorized : .badGateway
            return .consoleText(
                ProxyRefusal(status, reason: "code_exchange", message: "The login could not be completed"),
                cookies: [clearState])
        }
        guard let idToken = tokens.idToken else {
            metrics.login("failed")
            return .consoleText(
                ProxyRefusal(.badGateway, reason: "no_id_token", message: "The identity provider returned no ID token"),
                cookies: [clearState])
        }
        let identity: Identity
        do throws(OIDCError) {
            identity = try await authenticator.authenticateIDToken(idToken, expectedNonce: pending.nonce)
        } catch {
            metrics.login("failed")
            metrics.authenticationFailed(error.metricLabel)
            logger.warning("login: the ID token was refused",
                           metadata: ["reason": "\(error.metricLabel)", "detail": "\(error.message)"])
            let status: HTTPResponseStatus = error.httpStatus == 403 ? .forbidden : .unauthorized
            let message = error.httpStatus == 403 ? "Access denied: \(error.message)" : "The login could not be verified"
            return .consoleText(ProxyRefusal(status, reason: error.metricLabel, message: message), cookies: [clearState])
        }
        // Names the token authenticator accepts may still not reach the console exactly (a comma in a group or
        // role, a role with white space at an end): no session for them.
        if let refusal = ForwardedIdentity(identity, withRoles: true).consoleRefusal {
            metrics.login("failed")
            metrics.authenticationFailed("invalid_identity")
            logRefusedIdentity(refusal, context: "login")
            return .consoleText(
                ProxyRefusal(.unauthorized, reason: "invalid_identity", message: "The login could not be verified"),
                cookies: [clearState])
        }
        let issuedAt = tokens.receivedAt
        let session = SessionPayload(
            username: identity.username, subject: identity.subject ?? identity.username, groups: identity.groups,
            roles: identity.roles, idToken: idToken, refreshToken: tokens.refreshToken, accessTokenIssuedAt: issuedAt,
            accessTokenExpiresAt: tokens.accessTokenExpiresAt ?? identity.expiresAt,
            refreshTokenExpiresAt: tokens.refreshTokenExpiresAt, createdAt: issuedAt, sessionID: identity.sessionID)
        do throws(CookieError) {
            let written = try sessionCookies(for: session, replacing: cookies)
            metrics.login("completed")
            return .redirect(to: pending.originalURL, cookies: [clearState] + written, logUser: identity.username)
        } catch {
            metrics.login("failed")
            logger.error("login: cannot store the session", metadata: ["error": "\(error)"])
            return .consoleText(
                ProxyRefusal(.internalServerError, reason: nil, message: "The session could not be stored"),
                cookies: [clearState])
        }
    }

    /// The session cookies (chunks, stale-chunk deletions) and the `vz_userinfo` cookie for `session`.
    func sessionCookies(for session: SessionPayload, replacing cookies: RequestCookies) throws(CookieError) -> [SetCookie] {
        let expiresAt = cookieExpiry(for: session)
        let write = try sessions.setCookies(for: session, expiresAt: expiresAt, now: now(), replacing: cookies)
        let userInfo = try UserInfoCookie(username: session.username, expiresAt: expiresAt)
            .setCookie(attributes: cookieAttributes, now: now())
        return write.setCookies + [userInfo]
    }

    /// A session cookie lives until the refresh token expires (the access token's expiry without one), and never
    /// past the maximum session lifetime.
    func cookieExpiry(for session: SessionPayload) -> Date {
        let limit = session.createdAt.addingTimeInterval(configuration.sessionMaxLifetime)
        let tokenExpiry = session.refreshToken == nil ? session.accessTokenExpiresAt
            : (session.refreshTokenExpiresAt ?? limit)
        return min(limit, tokenExpiry)
    }
}
