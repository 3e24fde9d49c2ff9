public import Foundation
import NIOConcurrencyHelpers
import TextEscaping

extension DevelopmentIssuer {
    /// The grant type of device code polls (RFC 8628 §3.4).
    static let deviceCodeGrantType = "urn:ietf:params:oauth:grant-type:device_code"

    // MARK: Control

    /// Whether clients may use the device authorization grant (default: yes). Off, the device authorization
    /// endpoint refuses with Keycloak's `unauthorized_client`, as for a client without "OAuth 2.0 Device
    /// Authorization Grant" enabled.
    public func setDeviceGrantEnabled(_ enabled: Bool) {
        self.state.withLockedValue { $0.login.deviceGrantEnabled = enabled }
    }

    /// The polling interval and the device code lifetime announced to clients (Keycloak: 5 and 600 seconds).
    public func setDeviceGrant(interval: TimeInterval? = nil, codeLifetime: TimeInterval? = nil) {
        self.state.withLockedValue { state in
            if let interval { state.login.devicePollingInterval = interval }
            if let codeLifetime { state.login.deviceCodeLifetime = codeLifetime }
        }
    }

    /// Requests to the device authorization endpoint (successful or not).
    public var deviceAuthorizationCount: Int {
        self.state.withLockedValue { $0.login.deviceAuthorizations }
    }

    /// Token requests with the device code grant (successful or not).
    public var devicePollCount: Int {
        self.state.withLockedValue { $0.login.devicePolls }
    }

    // MARK: Endpoints

    /// The device authorization endpoint (`POST <realm>/protocol/openid-connect/auth/device`), like Keycloak's:
    /// a known public client (`client_id` in the form; a confidential one also sends `client_secret`) gets
    /// `device_code`, `user_code` (`ABCD-EFGH`), `verification_uri` (`<issuer>/device`),
    /// `verification_uri_complete` (with `?user_code=`), `expires_in` and `interval`.
    func deviceAuthorizationEndpoint(_ request: Request) -> Response {
        guard request.method == "POST" else {
            return IssuerForm.oauthError("invalid_request", "HTTP method not allowed", status: 405)
        }
        guard let parameters = IssuerForm.decode(String(decoding: request.body, as: UTF8.self)) else {
            return IssuerForm.oauthError("invalid_request", "duplicated or invalid parameter")
        }
        let deviceCode = IssuerForm.randomToken()
        let userCode = Self.makeUserCode()
        let issuer = self.issuer
        let result: Result<(interval: TimeInterval, lifetime: TimeInterval), Refusal> = self.state.withLockedValue { state in
            state.login.deviceAuthorizations += 1
            guard let clientID = parameters["client_id"], state.login.allowedClients.contains(clientID) else {
                return .failure(Refusal(response: IssuerForm.oauthError(
                    "invalid_client", "Invalid client or Invalid client credentials", status: 401)))
            }
            if let secret = state.login.clientSecrets[clientID], parameters["client_secret"] != secret {
                return .failure(Refusal(response: IssuerForm.oauthError(
                    "unauthorized_client", "Invalid client or Invalid client credentials", status: 401)))
            }
            guard state.login.deviceGrantEnabled else {
                return .failure(Refusal(response: IssuerForm.oauthError(
                    "unauthorized_client",
                    "Client is not allowed to initiate OAuth 2.0 Device Authorization Grant. The flow is disabled for the client.")))
            }
            state.login.deviceCodes[deviceCode] = IssuerLoginState.PendingDevice(
                clientID: clientID,
                userCode: userCode,
                scope: parameters["scope"] ?? "",
                expiresAt: Date().addingTimeInterval(state.login.deviceCodeLifetime)
            )
            return .success((state.login.devicePollingInterval, state.login.deviceCodeLifetime))
        }
        switch result {
        case .failure(let refusal):
            return refusal.response
        case .success(let (interval, lifetime)):
            let page = issuer + "/device"
            return .json(TokenJSON.object([
                "device_code": .string(deviceCode),
                "user_code": .string(userCode),
                "verification_uri": .string(page),
                "verification_uri_complete": .string(page + "?user_code=" + userCode),
                "expires_in": .number(lifetime.rounded(.down)),
                "interval": .number(interval.rounded(.down)),
            ]).jsonString)
        }
    }

    /// The user's device login page (`<realm>/device`), like Keycloak's.
    ///
    /// `GET` without `user_code`: a form asking for it. `GET` with a known, live `user_code`: with a live
    /// `KEYCLOAK_SESSION` cookie a consent form (`accept` or `cancel`), else the login form (`username`, `password`,
    /// the user code hidden, and a `cancel` button). `POST` (form) with the user code and either a registered user's
    /// password, `accept` with a live session, or `cancel`: approves (starting a session, cookie set) or denies the
    /// device login and answers a short page. An unknown or expired code answers 400 "Invalid code"; a wrong
    /// password, the login form again with "Invalid username or password.".
    func deviceVerificationPage(_ request: Request) -> Response {
        guard request.method == "GET" || request.method == "POST" else {
            return IssuerForm.page("Error", body: "Method not allowed", status: 405)
        }
        let query = IssuerForm.decode(request.query ?? "") ?? [:]
        let form = request.method == "POST" ? IssuerForm.decode(String(decoding: request.body, as: UTF8.self)) ?? [:] : [:]
        guard let userCode = (form["user_code"] ?? query["user_code"]).map(Self.normalizedUserCode), !userCode.isEmpty else {
            return IssuerForm.page(
                "Device Login",
                body: "<p>Enter the code shown on your device.</p>"
                    + "<form id=\"kc-user-verify-device-user-code-form\" method=\"get\">"
                    + "<label for=\"device-user-code\">Code</label>"
                    + "<input id=\"device-user-code\" name=\"user_code\" type=\"text\" autocomplete=\"off\" autofocus required>"
                    + "<div class=\"buttons\"><input type=\"submit\" value=\"Submit\"></div></form>",
                realm: self.realmName)
        }
        let cookie = IssuerForm.cookie(Self.sessionCookieName, in: request)
        enum Outcome {
            case invalidCode
            case loginPage(error: String?)
            case consentPage
            case approved(sessionID: String, setCookie: Bool)
            case denied
        }
        let outcome: Outcome = self.state.withLockedValue { state in
            guard let found = state.login.deviceCodes.first(where: { $0.value.userCode == userCode }),
                  Date() < found.value.expiresAt, case .pending = found.value.status else {
                return .invalidCode
            }
            let deviceCode = found.key
            let liveSession = cookie.flatMap { state.login.sessions[$0] != nil ? $0 : nil }
            guard request.method == "POST" else {
                return liveSession == nil ? .loginPage(error: nil) : .consentPage
            }
            if form["cancel"] != nil {
                state.login.deviceCodes[deviceCode]?.status = .denied
                return .denied
            }
            if let username = form["username"] {
                guard let user = state.login.users[username], let password = user.password, password == form["password"] else {
                    return .loginPage(error: "Invalid username or password.")
                }
                let sessionID = state.login.startSession(for: user.username)
                state.login.interactiveLogins += 1
                state.login.deviceCodes[deviceCode]?.status = .approved(sessionID: sessionID)
                return .approved(sessionID: sessionID, setCookie: true)
            }
            if form["accept"] != nil, let liveSession {
                state.login.ssoLogins += 1
                state.login.deviceCodes[deviceCode]?.status = .approved(sessionID: liveSession)
                return .approved(sessionID: liveSession, setCookie: false)
            }
            return liveSession == nil ? .loginPage(error: nil) : .consentPage
        }
        let hiddenCode = "<input type=\"hidden\" name=\"user_code\" value=\"\(HTMLText.escaped(userCode))\">"
        let codeLine = "<p>Device code <code>\(HTMLText.escaped(userCode))</code></p>"
        switch outcome {
        case .invalidCode:
            return IssuerForm.page(
                "Device Login",
                body: "<p id=\"kc-error-message\" class=\"error\">Invalid code, please try again.</p>"
                    + "<p><a href=\"device\">Enter another code</a></p>",
                realm: self.realmName, status: 400)
        case .loginPage(let error):
            return IssuerForm.page(
                "Sign in to \(self.realmName)",
                body: codeLine + IssuerForm.loginForm(
                    action: "device", error: error, username: form["username"], hidden: [("user_code", userCode)], cancel: true),
                realm: self.realmName)
        case .consentPage:
            return IssuerForm.page(
                "Grant Access",
                body: codeLine + "<p>Do you grant the device access to your account?</p>"
                    + "<form id=\"kc-oauth\" method=\"post\" action=\"device\">" + hiddenCode
                    + "<div class=\"buttons\"><input id=\"kc-login\" name=\"accept\" type=\"submit\" value=\"Yes\">"
                    + "<input id=\"kc-cancel\" class=\"secondary\" name=\"cancel\" type=\"submit\" value=\"No\"></div></form>",
                realm: self.realmName)
        case .approved(let sessionID, let setCookie):
            var headers: [(name: String, value: String)] = []
            if setCookie {
                headers.append(("Set-Cookie", "\(Self.sessionCookieName)=\(sessionID); Path=/; HttpOnly"))
            }
            return IssuerForm.page(
                "Device Login Successful",
                body: "<p id=\"kc-page-title\">Device Login Successful</p><p>You may close this page and go back to your device.</p>",
                realm: self.realmName, headers: headers)
        case .denied:
            return IssuerForm.page("Consent Denied", body: "<p id=\"kc-page-title\">Consent denied</p>", realm: self.realmName)
        }
    }

    /// A device code poll (`grant_type=urn:ietf:params:oauth:grant-type:device_code`), answered as Keycloak does:
    /// `authorization_pending` until the user approves, `slow_down` when polled sooner than the interval after the
    /// previous poll, `expired_token` after the lifetime, `access_denied` when the user cancelled; then tokens, once
    /// (the device code is used up).
    func deviceCodeGrant(_ parameters: [String: String], clientID: String) -> Response {
        let deviceCode = parameters["device_code"] ?? ""
        let now = Date()
        enum Outcome {
            case refused(String, String)
            case approved(User, sessionID: String, scope: String)
        }
        let outcome: Outcome = self.state.withLockedValue { state in
            state.login.devicePolls += 1
            guard let pending = state.login.deviceCodes[deviceCode], pending.clientID == clientID else {
                return .refused("invalid_grant", "Device code not valid")
            }
            guard now < pending.expiresAt else {
                state.login.deviceCodes[deviceCode] = nil
                return .refused("expired_token", "Device code is expired")
            }
            defer { state.login.deviceCodes[deviceCode]?.lastPollAt = now }
            if let last = pending.lastPollAt, now.timeIntervalSince(last) < state.login.devicePollingInterval {
                return .refused("slow_down", "Slow down")
            }
            switch pending.status {
            case .pending:
                return .refused("authorization_pending", "The authorization request is still pending")
            case .denied:
                state.login.deviceCodes[deviceCode] = nil
                return .refused("access_denied", "The end user denied the authorization request")
            case .approved(let sessionID):
                state.login.deviceCodes[deviceCode] = nil
                guard let session = state.login.sessions[sessionID], let user = state.login.users[session.username] else {
                    return .refused("invalid_grant", "Session not active")
                }
                return .approved(user, sessionID: sessionID, scope: pending.scope)
            }
        }
        switch outcome {
        case .refused(let error, let description):
            return IssuerForm.oauthError(error, description)
        case .approved(let user, let sessionID, let scope):
            return self.issueTokens(user: user, clientID: clientID, sessionID: sessionID, nonce: nil, scope: scope)
        }
    }

    /// Eight letters without vowels, `XXXX-XXXX`, as Keycloak makes them.
    private static func makeUserCode() -> String {
        let letters = Array("BCDFGHJKLMNPQRSTVWXZ")
        let code = String((0..<8).map { _ in letters.randomElement()! })
        return code.prefix(4) + "-" + code.suffix(4)
    }

    /// Upper case, with the dash put back if the user left it out.
    private static func normalizedUserCode(_ text: String) -> String {
        let letters = text.uppercased().filter { $0.isLetter }
        guard letters.count == 8 else {
            return text.uppercased()
        }
        return letters.prefix(4) + "-" + letters.suffix(4)
    }
}
