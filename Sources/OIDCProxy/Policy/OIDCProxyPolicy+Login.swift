import Foundation
import Logging
import NIOCore
import NIOHTTP1
import OIDC
import ProxyCore

extension OIDCProxyPolicy {
    /// Sends a browser to the identity provider's login with a fresh PKCE verifier, state and nonce, kept in the
    /// sealed `vz_state` cookie together with the URL to come back to.
    func startLogin(_ request: ConsoleRequest, extraCookies: [SetCookie]) -> LocalResponse {
        guard let document = discovery(), let endpoint = document.authorizationEndpoint else {
            return LocalAnswers.text(.serviceUnavailable, "The identity provider is not available yet", cookies: extraCookies,
                                     refusal: "issuer_unavailable")
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
                return LocalAnswers.text(.internalServerError, "Cannot start the login")
            }
            stateCookie = cookie
        }
        metrics.login("started")
        let location = authorization.authorizationURL(
            endpoint: endpoint, clientID: configuration.loginClientID, redirectURI: request.route.redirectURI,
            scope: configuration.scope)
        return LocalAnswers.redirect(to: location, cookies: extraCookies + [stateCookie])
    }

    /// `/_authentication_callback`: checks the state against `vz_state`, exchanges the code with the verifier,
    /// verifies the ID token and its nonce, creates the session and sends the browser back where it started.
    func completeLogin(_ request: ConsoleRequest) -> PolicyOutcome {
        let cookies = RequestCookies(headers: request.head.headers)
        let clearState = loginStates.deletionCookie()
        let query = FormParameters(query: request.head.uri)
        guard request.head.method == .GET else {
            return .immediate(.respond(LocalAnswers.text(.methodNotAllowed, "The login callback takes GET", cookies: [clearState])))
        }
        if let error = query["error"] {
            metrics.login("failed")
            let known = ["access_denied", "login_required", "interaction_required", "consent_required",
                         "temporarily_unavailable", "server_error", "invalid_request", "unauthorized_client"]
            let code = known.contains(error) ? error : "other"
            return .immediate(.respond(LocalAnswers.text(
                code == "access_denied" ? .forbidden : .unauthorized, "The identity provider refused the login (\(code))",
                cookies: [clearState], refusal: "login_error")))
        }
        let pending: LoginState
        switch loginStates.loginState(in: cookies, now: now()) {
        case .valid(let state):
            pending = state
        case .absent:
            metrics.login("failed")
            return .immediate(.respond(LocalAnswers.text(.unauthorized, "No login in progress (or it took longer than 5 minutes)",
                                                         cookies: [clearState], refusal: "no_login_state")))
        case .rejected(let reason):
            metrics.login("failed")
            metrics.sessionRejected("state_" + reason.metricLabel)
            return .immediate(.respond(LocalAnswers.text(.unauthorized, "The login state is invalid", cookies: [clearState],
                                                         refusal: "bad_login_state")))
        }
        guard let state = query["state"], ConstantTime.equals(state, pending.state) else {
            metrics.login("failed")
            return .immediate(.respond(LocalAnswers.text(.unauthorized, "The login state does not match", cookies: [clearState],
                                                         refusal: "state_mismatch")))
        }
        guard let code = query["code"], !code.isEmpty, code.utf8.count <= 4_096 else {
            metrics.login("failed")
            return .immediate(.respond(LocalAnswers.text(.badRequest, "The login callback has no code", cookies: [clearState],
                                                         refusal: "no_code")))
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
                clientID: configuration.loginClientID)
        } catch {
            metrics.login("failed")
            logger.warning("login: the code exchange failed", metadata: ["error": "\(error)"])
            let status: HTTPResponseStatus = error.kind == .rejected ? .unauthorized : .badGateway
            return LocalAnswers.text(status, "The login could not be completed", cookies: [clearState], refusal: "code_exchange")
        }
        guard let idToken = tokens.idToken else {
            metrics.login("failed")
            return LocalAnswers.text(.badGateway, "The identity provider returned no ID token", cookies: [clearState],
                                     refusal: "no_id_token")
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
            return LocalAnswers.text(status, error.httpStatus == 403 ? "Access denied: \(error.message)" : "The login could not be verified",
                                     cookies: [clearState], refusal: error.metricLabel)
        }
        // Names the token authenticator accepts may still not reach the console exactly (a comma in a group or
        // role, a role with white space at an end): no session for them.
        if let refusal = ConsoleIdentity(identity).refusal {
            metrics.login("failed")
            metrics.authenticationFailed("invalid_identity")
            logRefusedIdentity(refusal, context: "login")
            return LocalAnswers.text(.unauthorized, "The login could not be verified", cookies: [clearState],
                                     refusal: "invalid_identity")
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
            return LocalAnswers.redirect(to: pending.originalURL, cookies: [clearState] + written, logUser: identity.username)
        } catch {
            metrics.login("failed")
            logger.error("login: cannot store the session", metadata: ["error": "\(error)"])
            return LocalAnswers.text(.internalServerError, "The session could not be stored", cookies: [clearState])
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
