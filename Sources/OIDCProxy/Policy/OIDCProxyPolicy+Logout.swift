import Foundation
import Logging
import NIOCore
import NIOHTTP1
import OIDC
import ProxyCore
import ProxyFrontDoor

extension OIDCProxyPolicy {
    /// `/_logout`: deletes the session cookies, forgets the session on this instance, and sends the browser to the
    /// identity provider's end-session endpoint (with the ID token as hint, and a random `state`, which some
    /// providers require before they send the browser back; OpenID Connect RP-Initiated Logout 1.0 §2) to end the
    /// single sign-on session too. Without a session there is nothing to end there: the browser goes straight to the
    /// post-logout URL (an end-session request without `id_token_hint` strands it on a blank page at some
    /// providers).
    func logout(_ request: ConsoleRequest) -> LocalResponse {
        let cookies = RequestCookies(headers: request.head.headers)
        var deletions = endSessionCookies(cookies)
        if cookies.contains(loginStates.cookieName) { deletions.append(loginStates.deletionCookie()) }
        let session = openSession(in: cookies, now: now()).value
        if let session {
            logouts.recordLogout(subject: nil, sessionID: session.sessionID, at: now())
            metrics.logout("front_channel")
        }
        let afterLogout = configuration.postLogoutRedirectURL ?? request.route.publicBaseURL + "/"
        guard let session, let endpoint = discovery()?.endSessionEndpoint, !endpoint.isEmpty else {
            return .redirect(to: afterLogout, cookies: deletions, logUser: session?.username)
        }
        var parameters: [(name: String, value: String)] = [
            ("client_id", configuration.loginClientID), ("post_logout_redirect_uri", afterLogout),
            ("state", Base64URL.encode((0..<16).map { _ in UInt8.random(in: .min ... .max) })),
        ]
        if let idToken = session.idToken { parameters.append(("id_token_hint", idToken)) }
        let query = FormURLEncoding.encode(parameters)
        let separator = endpoint.contains("?") ? "&" : "?"
        return .redirect(to: endpoint + separator + query, cookies: deletions, logUser: session.username)
    }

    /// `/_single_logout` (OpenID Connect Back-Channel Logout 1.0): the identity provider posts a `logout_token`;
    /// once verified, the sessions it names end on this instance. Answers 200, or 400 with an OAuth error.
    func backChannelLogout(_ request: ConsoleRequest) -> ProxyDecision {
        guard request.head.method == .POST else {
            return .respond(.consoleText(
                ProxyRefusal(.methodNotAllowed, reason: nil, message: "Back-channel logout takes POST"),
                headers: ["Allow": "POST"]))
        }
        let contentType = request.head.headers.first(name: "content-type")?.lowercased() ?? ""
        guard contentType.hasPrefix("application/x-www-form-urlencoded") else {
            return .respond(Self.logoutError("invalid_request", "the body must be application/x-www-form-urlencoded"))
        }
        let tooLarge = Self.logoutError("invalid_request", "the request is too large", status: .payloadTooLarge)
        return .respondAfterBody(BodyReader(maximumBytes: configuration.maximumLogoutRequestBytes, tooLarge: tooLarge) {
            [self] body in
            let form = FormParameters(form: body.readableBytesView)
            guard let token = form["logout_token"], !token.isEmpty else {
                return Self.logoutError("invalid_request", "logout_token is missing")
            }
            do throws(OIDCError) {
                let verified = try await logoutVerifier.verify(token)
                logouts.recordLogout(subject: verified.subject, sessionID: verified.sessionID, at: now())
                metrics.logout("back_channel")
                logger.info("back-channel logout", metadata: [
                    "subject": "\(verified.subject ?? "-")", "sid": "\(verified.sessionID ?? "-")",
                ])
                var headers = HTTPHeaders()
                headers.add(name: "Cache-Control", value: "no-store")
                return LocalResponse(status: .ok, headers: headers)
            } catch {
                metrics.authenticationFailed("logout_" + error.metricLabel)
                return Self.logoutError("invalid_request", error.message)
            }
        })
    }

    /// The error answer of Back-Channel Logout 1.0 §2.8: JSON with `error` and `error_description`.
    static func logoutError(_ code: String, _ description: String, status: HTTPResponseStatus = .badRequest) -> LocalResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Cache-Control", value: "no-store")
        let escaped = description.unicodeScalars.filter { $0.value >= 0x20 && $0 != "\"" && $0 != "\\" }
        let body = #"{"error":"\#(code)","error_description":"\#(String(String.UnicodeScalarView(escaped)))"}"#
        return LocalResponse(status: status, headers: headers, body: ByteBuffer(string: body), refusalReason: "bad_logout_token")
    }
}
