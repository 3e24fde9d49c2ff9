import Foundation

extension OIDCIssuerDouble {
    /// The end-session endpoint (`GET` or `POST <realm>/protocol/openid-connect/logout`): records the request,
    /// ends the session named by the `KEYCLOAK_SESSION` cookie (else by the `sid` of `id_token_hint`), clears the
    /// cookie, and redirects to `post_logout_redirect_uri` (with `state`) if given, else answers 200.
    func endSessionEndpoint(_ request: Request) -> Response {
        let text = request.method == "POST" ? String(decoding: request.body, as: UTF8.self) : (request.query ?? "")
        guard let parameters = IssuerDoubleForm.decode(text) else {
            return IssuerDoubleForm.page("Error", body: "Invalid Request", status: 400)
        }
        let cookie = IssuerDoubleForm.cookie(Self.sessionCookieName, in: request)
        let hintedSession = parameters["id_token_hint"].flatMap(Self.unverifiedSessionID(of:))
        self.state.withLock { state in
            var ended: String?
            if let cookie, state.login.sessions[cookie] != nil {
                ended = cookie
            } else if let hintedSession, state.login.sessions[hintedSession] != nil {
                ended = hintedSession
            }
            if let ended {
                state.login.endSession(ended)
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
        }
        let clearCookie: [(name: String, value: String)] = [("Set-Cookie", "\(Self.sessionCookieName)=; Path=/; Max-Age=0")]
        if let target = parameters["post_logout_redirect_uri"], !target.isEmpty {
            let location = parameters["state"].map { IssuerDoubleForm.appendingQuery([("state", $0)], to: target) } ?? target
            return IssuerDoubleForm.redirect(location, headers: clearCookie)
        }
        return IssuerDoubleForm.page("Logging out", body: "<p>You are logged out</p>", headers: clearCookie)
    }

    /// The `sid` of a token, read without verification (the double trusts its own hints).
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
