import NIOConcurrencyHelpers
import Foundation
import TextEscaping

extension DevelopmentIssuer {
    /// The authorization endpoint (`GET <realm>/protocol/openid-connect/auth`), like Keycloak with a PKCE-only
    /// public client.
    ///
    /// Refuses with a 400 page: an unknown `client_id`, a missing `redirect_uri` (or, when redirect URIs are
    /// enforced, one the client did not register), `response_type` other than
    /// `code`, a missing `code_challenge`, and `code_challenge_method` other than `S256` (`plain` or missing).
    /// With a live `KEYCLOAK_SESSION` cookie it redirects at once to `redirect_uri?code=...&state=...&session_state=...`
    /// (single sign-on; `prompt=login` forces a new login). Without one: `prompt=none` redirects with
    /// `error=login_required`; an auto-login user is logged in (cookie set, counted as interactive); otherwise the
    /// answer is a 200 login page whose form posts `username` and `password` back to the same URL. A `POST` with a
    /// registered user's password logs that user in (cookie set, counted as interactive) and redirects as above;
    /// wrong credentials get the login page again with Keycloak's "Invalid username or password."
    func authorizationEndpoint(_ request: Request) -> Response {
        guard request.method == "GET" || request.method == "POST" else {
            return IssuerForm.page("Error", body: "Method not allowed", status: 405)
        }
        var formLogin: (username: String, password: String)?
        if request.method == "POST" {
            let form = IssuerForm.decode(String(decoding: request.body, as: UTF8.self)) ?? [:]
            formLogin = (form["username"] ?? "", form["password"] ?? "")
        }
        guard let parameters = IssuerForm.decode(request.query ?? "") else {
            return IssuerForm.page("Error", body: "Invalid Request", status: 400)
        }
        let cookie = IssuerForm.cookie(Self.sessionCookieName, in: request)
        let code = IssuerForm.randomToken()
        enum Outcome {
            case refused(String)
            case loginPage(error: String?)
            case loginRequired(redirectURI: String)
            case issued(sessionID: String, redirectURI: String, setCookie: Bool)
        }
        let outcome: Outcome = self.state.withLockedValue { state in
            guard let clientID = parameters["client_id"], state.login.allowedClients.contains(clientID) else {
                return .refused("Client not found.")
            }
            guard let redirectURI = parameters["redirect_uri"], !redirectURI.isEmpty,
                  state.login.allowsRedirect(redirectURI, for: clientID) else {
                return .refused("Invalid parameter: redirect_uri")
            }
            guard parameters["response_type"] == "code" else {
                return .refused("Unsupported response type")
            }
            guard parameters["code_challenge_method"] == "S256" else {
                return .refused("Invalid parameter: code_challenge_method")
            }
            guard let challenge = parameters["code_challenge"], challenge.count == 43 else {
                return .refused("Invalid parameter: code_challenge")
            }
            let prompt = parameters["prompt"]
            let sessionID: String
            var setCookie = false
            if let formLogin {
                guard let user = state.login.users[formLogin.username], let password = user.password,
                      password == formLogin.password else {
                    return .loginPage(error: "Invalid username or password.")
                }
                sessionID = state.login.startSession(for: user.username)
                setCookie = true
                state.login.interactiveLogins += 1
            } else if let cookie, state.login.sessions[cookie] != nil, prompt != "login" {
                sessionID = cookie
                state.login.ssoLogins += 1
            } else if prompt == "none" {
                return .loginRequired(redirectURI: redirectURI)
            } else if let username = state.login.autoLoginUser, state.login.users[username] != nil {
                sessionID = state.login.startSession(for: username)
                setCookie = true
                state.login.interactiveLogins += 1
            } else {
                return .loginPage(error: nil)
            }
            state.login.codes[code] = IssuerLoginState.PendingCode(
                clientID: clientID,
                redirectURI: redirectURI,
                codeChallenge: challenge,
                nonce: parameters["nonce"],
                scope: parameters["scope"] ?? "",
                sessionID: sessionID,
                expiresAt: Date().addingTimeInterval(state.login.codeLifetime)
            )
            return .issued(sessionID: sessionID, redirectURI: redirectURI, setCookie: setCookie)
        }
        var stateParameter: [(String, String)] = []
        if let state = parameters["state"] {
            stateParameter = [("state", state)]
        }
        switch outcome {
        case .refused(let reason):
            return IssuerForm.page(
                "We are sorry...", body: "<p id=\"kc-error-message\" class=\"error\">\(HTMLText.escaped(reason))</p>",
                realm: self.realmName, status: 400)
        case .loginPage(let error):
            return IssuerForm.page(
                "Sign in to \(self.realmName)",
                body: IssuerForm.loginForm(action: nil, error: error, username: formLogin?.username),
                realm: self.realmName
            )
        case .loginRequired(let redirectURI):
            return IssuerForm.redirect(
                IssuerForm.appendingQuery([("error", "login_required")] + stateParameter, to: redirectURI)
            )
        case .issued(let sessionID, let redirectURI, let setCookie):
            let location = IssuerForm.appendingQuery(
                [("code", code)] + stateParameter + [("session_state", sessionID)],
                to: redirectURI
            )
            var headers: [(name: String, value: String)] = []
            if setCookie {
                headers.append(("Set-Cookie", "\(Self.sessionCookieName)=\(sessionID); Path=/; HttpOnly"))
            }
            return IssuerForm.redirect(location, headers: headers)
        }
    }
}
