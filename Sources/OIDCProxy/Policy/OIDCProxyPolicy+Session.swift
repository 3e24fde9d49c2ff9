import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import OIDC
import ProxyCore
import ProxyFrontDoor

/// The outcome of one refresh, shared by every request that carried the same refresh token.
enum RefreshedSession: Sendable {
    /// The new session.
    case renewed(SessionPayload)
    /// The identity provider refused the refresh token (the session is over) or the renewed identity is refused.
    case ended(reason: String, status: Int)
    /// The identity provider could not be asked.
    case unavailable
}

extension OIDCProxyPolicy {
    /// Serves a request by its session cookie: forwards while the session is fresh, refreshes it (once for all
    /// concurrent requests) when due, and treats a missing, invalid, expired or logged-out session as no login.
    func resumeSession(_ request: ConsoleRequest) -> PolicyOutcome {
        let cookies = RequestCookies(headers: request.head.headers)
        let current = now()
        let session: SessionPayload
        switch openSession(in: cookies, now: current) {
        case .absent:
            return .immediate(.respond(unauthenticated(request, reason: "no_session")))
        case .rejected(let reason):
            metrics.sessionRejected(reason.metricLabel)
            return .immediate(.respond(unauthenticated(request, reason: "session_" + reason.metricLabel,
                                                       cookies: endSessionCookies(cookies))))
        case .valid(let payload):
            session = payload
        }
        // A session sealed by an earlier version may hold a name that cannot reach the console exactly.
        if let refusal = ForwardedIdentity(session).consoleRefusal {
            metrics.sessionRejected("invalid_identity")
            logRefusedIdentity(refusal, context: "session")
            return .immediate(.respond(unauthenticated(request, reason: "session_invalid_identity",
                                                       cookies: endSessionCookies(cookies))))
        }
        if logouts.isLoggedOut(subject: session.subject, sessionID: session.sessionID, sessionStart: session.createdAt, now: now()) {
            metrics.sessionRejected("logged_out")
            return .immediate(.respond(unauthenticated(request, reason: "logged_out", cookies: endSessionCookies(cookies))))
        }
        if current.timeIntervalSince(session.createdAt) > configuration.sessionMaxLifetime {
            metrics.sessionRejected("too_old")
            return .immediate(.respond(unauthenticated(request, reason: "session_too_old", cookies: endSessionCookies(cookies))))
        }
        if let refusal = roleRefusal(session.roles, user: session.username) {
            return .immediate(.respond(refusal))
        }

        let decision = session.refreshDecision(now: current, schedule: configuration.refreshSchedule)
        if case .fresh = decision {
            return .immediate(forward(request, as: ForwardedIdentity(session)))
        }
        guard let refreshToken = session.refreshToken else {
            if case .expired = decision {
                metrics.sessionRejected("expired")
                return .immediate(.respond(unauthenticated(request, reason: "session_expired", cookies: endSessionCookies(cookies))))
            }
            return .immediate(forward(request, as: ForwardedIdentity(session)))
        }

        return .deferred(.task { [self] in
            let key = Self.refreshKey(refreshToken)
            let outcome = (try? await refreshes.run(key: key) { [self] in
                await refresh(session, refreshToken: refreshToken)
            }) ?? .unavailable
            // An unreachable identity provider is not remembered: the next request tries again.
            if case .unavailable = outcome { refreshes.forget(key: key) }
            switch outcome {
            case .renewed(let renewed):
                guard let setCookies = try? sessionCookies(for: renewed, replacing: cookies) else {
                    return .respond(.consoleText(
                        ProxyRefusal(.internalServerError, reason: nil, message: "The session could not be stored")))
                }
                if let refusal = roleRefusal(renewed.roles, user: renewed.username) {
                    return .respond(refusal)
                }
                return forward(request, as: ForwardedIdentity(renewed), setCookies: setCookies)
            case .ended(let reason, let status):
                if status == 403 {
                    return .respond(.consoleText(
                        ProxyRefusal(.forbidden, reason: reason, message: "Access denied", logUser: session.username),
                        cookies: endSessionCookies(cookies)))
                }
                return .respond(unauthenticated(request, reason: reason, cookies: endSessionCookies(cookies)))
            case .unavailable:
                // The identity provider is down: keep serving while the access is still valid.
                if case .refreshNow = decision { return forward(request, as: ForwardedIdentity(session)) }
                return .respond(.consoleText(
                    ProxyRefusal(.serviceUnavailable, reason: "refresh_unavailable",
                                 message: "The identity provider is not reachable; try again shortly")))
            }
        })
    }

    /// The request's session: from the cache of opened cookies, else opened (and then cached until the expiry it
    /// was sealed with).
    func openSession(in cookies: RequestCookies, now current: Date) -> CookieLookup<SessionPayload> {
        switch sessions.sealedValue(in: cookies) {
        case .absent:
            return .absent
        case .rejected(let reason):
            return .rejected(reason)
        case .valid(let sealed):
            if let cached = openedSessions.session(for: sealed, now: current) { return .valid(cached) }
            switch sessions.session(sealed: sealed, now: current) {
            case .absent:
                return .absent
            case .rejected(let reason):
                return .rejected(reason)
            case .valid(let opened):
                openedSessions.insert(opened.session, for: sealed, validUntil: opened.expiresAt, now: current)
                return .valid(opened.session)
            }
        }
    }

    /// Refreshes `session` at the token endpoint and verifies the renewed identity.
    private func refresh(_ session: SessionPayload, refreshToken: String) async -> RefreshedSession {
        let tokens: OIDCTokenResponse
        do throws(OIDCTokenEndpointError) {
            tokens = try await tokenClient.refresh(refreshToken, clientID: configuration.loginClientID,
                                                   clientSecret: configuration.loginClientSecret?.current())
        } catch {
            if error.kind == .rejected {
                metrics.refresh("rejected")
                return .ended(reason: "refresh_rejected", status: 401)
            }
            metrics.refresh("unavailable")
            logger.warning("session refresh failed", metadata: ["error": "\(error)"])
            return .unavailable
        }
        // OpenID Connect Core 12.2: the refresh response need not carry an ID token, and the access token is
        // opaque to a relying party. Without an ID token the login's identity stands; with one, it is verified and
        // must name the same subject (the issuer is checked with the signature).
        var identity: Identity?
        if let idToken = tokens.idToken {
            do throws(OIDCError) {
                identity = try await authenticator.authenticate(idToken)
            } catch {
                metrics.refresh("refused")
                metrics.authenticationFailed(error.metricLabel)
                logger.warning("refresh: the renewed ID token was refused",
                               metadata: ["reason": "\(error.metricLabel)", "detail": "\(error.message)"])
                return .ended(reason: error.metricLabel, status: error.httpStatus)
            }
        }
        if let identity {
            if let refusal = ForwardedIdentity(identity, withRoles: true).consoleRefusal {
                metrics.refresh("refused")
                metrics.authenticationFailed("invalid_identity")
                logRefusedIdentity(refusal, context: "refresh")
                return .ended(reason: "invalid_identity", status: 401)
            }
            guard identity.subject == session.subject else {
                metrics.refresh("refused")
                logger.warning("refresh: the renewed ID token names another subject; the session ends")
                return .ended(reason: "subject_changed", status: 401)
            }
        }
        // How long the renewed access lasts: the token response's expires_in, else the new ID token's exp, else as
        // long as the previous access lasted.
        let previousLifetime = session.accessTokenExpiresAt.timeIntervalSince(session.accessTokenIssuedAt)
        let expiresAt = tokens.accessTokenExpiresAt ?? identity?.expiresAt
            ?? tokens.receivedAt.addingTimeInterval(max(previousLifetime, 60))
        metrics.refresh("renewed")
        return .renewed(SessionPayload(
            username: identity?.username ?? session.username, subject: session.subject,
            groups: identity?.groups ?? session.groups, roles: identity?.roles ?? session.roles,
            idToken: tokens.idToken ?? session.idToken, refreshToken: tokens.refreshToken ?? refreshToken,
            accessTokenIssuedAt: tokens.receivedAt, accessTokenExpiresAt: expiresAt,
            refreshTokenExpiresAt: tokens.refreshTokenExpiresAt ?? session.refreshTokenExpiresAt,
            createdAt: session.createdAt, sessionID: identity?.sessionID ?? session.sessionID))
    }

    /// Deletions of every proxy cookie a request carries (session chunks and `vz_userinfo`).
    func endSessionCookies(_ cookies: RequestCookies) -> [SetCookie] {
        var deletions = sessions.deletionCookies(for: cookies)
        if cookies.contains(UserInfoCookie.defaultCookieName),
           let userInfo = try? UserInfoCookie.deletionCookie(attributes: cookieAttributes) {
            deletions.append(userInfo)
        }
        return deletions
    }

    /// The single-flight key of a refresh: a hash of the refresh token, never the token.
    static func refreshKey(_ refreshToken: String) -> String {
        Data(SHA256.hash(data: Array(refreshToken.utf8))).base64EncodedString()
    }
}
