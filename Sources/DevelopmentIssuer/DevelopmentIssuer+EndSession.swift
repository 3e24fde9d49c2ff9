import NIOConcurrencyHelpers
import Foundation

extension DevelopmentIssuer {
    /// The end-session endpoint (`GET` or `POST <realm>/protocol/openid-connect/logout`): records the request,
    /// ends the session named by the `KEYCLOAK_SESSION` cookie (else by the `sid` of `id_token_hint`), clears the
    /// cookie, sends back-channel logout tokens to the session's clients that have a back-channel logout URI, and
    /// redirects to `post_logout_redirect_uri` (with `state`) if given, else answers 200. When redirect URIs are
    /// enforced, a `post_logout_redirect_uri` that the client (`client_id`, else any client) did not register is
    /// refused with a 400 page and no session ends.
    func endSessionEndpoint(_ request: Request) -> Response {
        let text = request.method == "POST" ? String(decoding: request.body, as: UTF8.self) : (request.query ?? "")
        guard let parameters = IssuerForm.decode(text) else {
            return IssuerForm.page("Error", body: "Invalid Request", status: 400)
        }
        let cookie = IssuerForm.cookie(Self.sessionCookieName, in: request)
        let hintedSession = parameters["id_token_hint"].flatMap(Self.unverifiedSessionID(of:))
        if let target = parameters["post_logout_redirect_uri"], !target.isEmpty,
           !self.state.withLockedValue({ $0.login.allowsRedirect(target, for: parameters["client_id"]) }) {
            return IssuerForm.page("Error", body: "<p id=\"kc-error-message\">Invalid redirect uri</p>", status: 400)
        }
        let due = self.state.withLockedValue { state -> [PendingBackchannelLogout] in
            var due: [PendingBackchannelLogout] = []
            var ended: String?
            if let cookie, state.login.sessions[cookie] != nil {
                ended = cookie
            } else if let hintedSession, state.login.sessions[hintedSession] != nil {
                ended = hintedSession
            }
            if let ended {
                due = state.login.endSession(ended)
            }
            state.login.endSessionRequests.append(
                EndSessionRequest(
                    idTokenHint: parameters["id_token_hint"],
                    postLogoutRedirectURI: parameters["post_logout_redirect_uri"],
                    clientID: parameters["client_id"],
                    state: parameters["state"],
                    endedSessionID: ended
                )
            )
            return due
        }
        self.sendBackchannelLogouts(due)
        let clearCookie: [(name: String, value: String)] = [("Set-Cookie", "\(Self.sessionCookieName)=; Path=/; Max-Age=0")]
        if let target = parameters["post_logout_redirect_uri"], !target.isEmpty {
            let location = parameters["state"].map { IssuerForm.appendingQuery([("state", $0)], to: target) } ?? target
            return IssuerForm.redirect(location, headers: clearCookie)
        }
        return IssuerForm.page("Logging out", body: "<p id=\"kc-page-title\">You are logged out</p>", headers: clearCookie)
    }

    /// The `sid` of a token, read without verification (the issuer trusts its own hints).
    static func unverifiedSessionID(of token: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            return nil
        }
        var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard
            let data = Data(base64Encoded: base64),
            let claims = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            return nil
        }
        return claims["sid"] as? String
    }
}
