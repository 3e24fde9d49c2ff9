import NIOConcurrencyHelpers
import Crypto
import Foundation

extension DevelopmentIssuer {
    /// The token endpoint (`POST <realm>/protocol/openid-connect/token`, form-encoded), like Keycloak.
    ///
    /// Client authentication: `client_id` in the body or HTTP Basic; an unknown client, or a confidential one
    /// without its secret, gets 401 `invalid_client`. Grants:
    /// - `authorization_code`: the code is single use (even a failed attempt consumes it), expires, and is bound
    ///   to the client, the `redirect_uri` and the PKCE challenge (`code_verifier` checked with S256).
    /// - `refresh_token`: a Keycloak-style refresh token (a JWT with `typ: Refresh`, HMAC-signed by the issuer,
    ///   so it never verifies as an access token); rotated on every use (the old one stops working), refused
    ///   after it expired, was revoked, or its session ended.
    /// - `password`: a registered user's password; wrong credentials get 401 `invalid_grant`, as Keycloak does.
    /// - `urn:ietf:params:oauth:grant-type:device_code`: a device login's poll (`DevelopmentIssuer+DeviceAuthorization.swift`).
    ///
    /// Refusals are Keycloak's JSON `{"error": ..., "error_description": ...}`. The token endpoint behaviour
    /// (``setTokenEndpointBehaviour(_:)``) can make it fail, hang or answer late.
    func tokenEndpoint(_ request: Request) -> Response? {
        let behaviour = self.state.withLockedValue { $0.login.tokenEndpointBehaviour }
        var delay: Duration?
        switch behaviour {
        case .hang:
            return nil
        case .fail(let status):
            return IssuerForm.page("Error", body: "Service unavailable", status: status)
        case .delay(let duration):
            delay = duration
        case .normal:
            break
        }
        var response = self.tokenResponse(request)
        response.delay = delay
        return response
    }

    private func tokenResponse(_ request: Request) -> Response {
        guard request.method == "POST" else {
            return IssuerForm.oauthError("invalid_request", "HTTP method not allowed", status: 405)
        }
        let contentType = IssuerForm.header("Content-Type", in: request) ?? ""
        guard contentType.lowercased().hasPrefix("application/x-www-form-urlencoded") else {
            return IssuerForm.oauthError("invalid_request", "Unsupported content type")
        }
        guard let parameters = IssuerForm.decode(String(decoding: request.body, as: UTF8.self)) else {
            return IssuerForm.oauthError("invalid_request", "duplicated or invalid parameter")
        }
        let clientID: String
        switch self.authenticateClient(request, parameters) {
        case .success(let authenticated):
            clientID = authenticated
        case .failure(let refusal):
            return refusal.response
        }
        switch parameters["grant_type"] {
        case "authorization_code":
            return self.exchangeCode(parameters, clientID: clientID)
        case "refresh_token":
            return self.refresh(parameters, clientID: clientID)
        case "password":
            return self.passwordGrant(parameters, clientID: clientID)
        case Self.deviceCodeGrantType:
            return self.deviceCodeGrant(parameters, clientID: clientID)
        case nil:
            return IssuerForm.oauthError("invalid_request", "Missing form parameter: grant_type")
        default:
            return IssuerForm.oauthError("unsupported_grant_type", "Unsupported grant_type")
        }
    }

    struct Refusal: Error {
        var response: Response
    }

    private func authenticateClient(_ request: Request, _ parameters: [String: String]) -> Result<String, Refusal> {
        var basic: (id: String, secret: String)?
        if let authorization = IssuerForm.header("Authorization", in: request) {
            guard
                authorization.hasPrefix("Basic "),
                let data = Data(base64Encoded: String(authorization.dropFirst("Basic ".count))),
                let text = String(data: data, encoding: .utf8),
                let colon = text.firstIndex(of: ":"),
                let id = String(text[..<colon]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding,
                let secret = String(text[text.index(after: colon)...]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            else {
                return .failure(Refusal(response: IssuerForm.oauthError("invalid_client", "Invalid client credentials", status: 401)))
            }
            basic = (id, secret)
        }
        let invalidClient = Refusal(
            response: IssuerForm.oauthError("invalid_client", "Invalid client or Invalid client credentials", status: 401)
        )
        if let basic, let bodyID = parameters["client_id"], bodyID != basic.id {
            return .failure(Refusal(response: IssuerForm.oauthError("invalid_request", "client_id mismatch")))
        }
        guard let clientID = basic?.id ?? parameters["client_id"] else {
            return .failure(invalidClient)
        }
        let (allowed, expectedSecret) = self.state.withLockedValue {
            ($0.login.allowedClients.contains(clientID), $0.login.clientSecrets[clientID])
        }
        guard allowed else {
            return .failure(invalidClient)
        }
        if let expectedSecret, (basic?.secret ?? parameters["client_secret"]) != expectedSecret {
            return .failure(invalidClient)
        }
        return .success(clientID)
    }

    // MARK: Grants

    private func exchangeCode(_ parameters: [String: String], clientID: String) -> Response {
        let code = parameters["code"] ?? ""
        let result: Result<(IssuerLoginState.PendingCode, User), Refusal> = self.state.withLockedValue { state in
            state.login.codeExchanges += 1
            func refuse(_ description: String) -> Result<(IssuerLoginState.PendingCode, User), Refusal> {
                .failure(Refusal(response: IssuerForm.oauthError("invalid_grant", description)))
            }
            guard let pending = state.login.codes.removeValue(forKey: code), Date() < pending.expiresAt else {
                return refuse("Code not valid")
            }
            guard pending.clientID == clientID else {
                return refuse("Auth error")
            }
            guard parameters["redirect_uri"] == pending.redirectURI else {
                return refuse("Incorrect redirect_uri")
            }
            guard let verifier = parameters["code_verifier"] else {
                return refuse("PKCE code verifier not specified")
            }
            guard Self.isValidVerifier(verifier) else {
                return refuse("PKCE verification failed: Invalid code verifier")
            }
            guard IssuerForm.s256Challenge(verifier) == pending.codeChallenge else {
                return refuse("PKCE verification failed: Code mismatch")
            }
            guard let session = state.login.sessions[pending.sessionID], let user = state.login.users[session.username] else {
                return refuse("Session not active")
            }
            return .success((pending, user))
        }
        switch result {
        case .failure(let refusal):
            return refusal.response
        case .success(let (pending, user)):
            return self.issueTokens(
                user: user, clientID: clientID, sessionID: pending.sessionID, nonce: pending.nonce, scope: pending.scope
            )
        }
    }

    private func refresh(_ parameters: [String: String], clientID: String) -> Response {
        let tokenID = parameters["refresh_token"].flatMap(self.verifiedRefreshTokenID(_:))
        let result: Result<(IssuerLoginState.RefreshGrant, User), Refusal> = self.state.withLockedValue { state in
            state.login.refreshCalls += 1
            func refuse(_ description: String) -> Result<(IssuerLoginState.RefreshGrant, User), Refusal> {
                .failure(Refusal(response: IssuerForm.oauthError("invalid_grant", description)))
            }
            guard let tokenID else {
                return refuse("Invalid refresh token")
            }
            guard let grant = state.login.refreshTokens[tokenID], Date() < grant.expiresAt else {
                return refuse("Token is not active")
            }
            guard grant.clientID == clientID else {
                return refuse("Invalid refresh token. Token client and authorized client don't match")
            }
            guard let session = state.login.sessions[grant.sessionID], let user = state.login.users[session.username] else {
                return refuse("Session not active")
            }
            state.login.refreshTokens[tokenID] = nil  // rotation: the old token is used up
            return .success((grant, user))
        }
        switch result {
        case .failure(let refusal):
            return refusal.response
        case .success(let (grant, user)):
            return self.issueTokens(user: user, clientID: clientID, sessionID: grant.sessionID, nonce: grant.nonce, scope: grant.scope,
                                    isRefresh: true)
        }
    }

    private func passwordGrant(_ parameters: [String: String], clientID: String) -> Response {
        let result: (user: User, sessionID: String)? = self.state.withLockedValue { state in
            state.login.passwordGrants += 1
            guard
                let username = parameters["username"],
                let user = state.login.users[username],
                let password = user.password,
                parameters["password"] == password
            else {
                return nil
            }
            return (user, state.login.startSession(for: username))
        }
        guard let result else {
            return IssuerForm.oauthError("invalid_grant", "Invalid user credentials", status: 401)
        }
        return self.issueTokens(
            user: result.user, clientID: clientID, sessionID: result.sessionID, nonce: nil, scope: parameters["scope"] ?? ""
        )
    }

    // MARK: Tokens

    /// RFC 7636: 43–128 characters of `A-Z a-z 0-9 - . _ ~`.
    private static func isValidVerifier(_ verifier: String) -> Bool {
        (43...128).contains(verifier.utf8.count)
            && verifier.unicodeScalars.allSatisfy { scalar in
                CharacterSet.alphanumerics.contains(scalar) && scalar.isASCII || "-._~".unicodeScalars.contains(scalar)
            }
    }

    /// Issues an access token, an ID token (with the `openid` scope) and a new refresh token, and answers with
    /// Keycloak's token response.
    func issueTokens(user: User, clientID: String, sessionID: String, nonce: String?, scope: String,
                             isRefresh: Bool = false) -> Response {
        let now = Date()
        let (accessLifetime, refreshLifetime, omitsIDToken) = self.state.withLockedValue {
            ($0.login.accessTokenLifetime, $0.login.refreshTokenLifetime, isRefresh && $0.login.refreshOmitsIDToken)
        }
        var minter = self.minter
        minter.clientID = clientID
        let session: [String: TokenJSON] = ["sid": .string(sessionID), "session_state": .string(sessionID)]

        var access = minter.keycloakClaims(
            now: now, lifetime: accessLifetime, subject: user.subject, username: user.username, groups: user.groups, roles: user.roles
        )
        access.merge(session, uniquingKeysWith: { $1 })
        if let email = user.email {
            access["email"] = .string(email)
            access["email_verified"] = true
        }
        if omitsIDToken {
            access["aud"] = .string(scope)
            access["azp"] = nil
        }
        access["jti"] = .string(UUID().uuidString.lowercased())
        access["aud"] = "account"
        access["scope"] = .string(scope)
        access["nbf"] = nil

        let refreshTokenID = UUID().uuidString.lowercased()
        var refreshClaims: [String: TokenJSON] = [
            "iss": .string(self.issuer), "aud": .string(self.issuer), "sub": .string(user.subject), "typ": "Refresh",
            "azp": .string(clientID), "iat": .date(now), "exp": .date(now.addingTimeInterval(refreshLifetime)),
            "jti": .string(refreshTokenID), "scope": .string(scope),
        ]
        refreshClaims.merge(session, uniquingKeysWith: { $1 })
        if let nonce {
            refreshClaims["nonce"] = .string(nonce)
        }

        var body: [String: TokenJSON] = [
            "access_token": .string(minter.mint(claims: access)),
            "expires_in": .number(accessLifetime.rounded(.down)),
            "refresh_token": .string(self.signRefreshToken(refreshClaims)),
            "refresh_expires_in": .number(refreshLifetime.rounded(.down)),
            "token_type": "Bearer",
            "not-before-policy": 0,
            "session_state": .string(sessionID),
            "scope": .string(scope),
        ]
        if scope.split(separator: " ").contains("openid") && !omitsIDToken {
            var id = minter.keycloakIDTokenClaims(
                now: now, lifetime: accessLifetime, subject: user.subject, username: user.username,
                groups: user.groups, roles: user.roles, nonce: nonce, sessionID: sessionID
            )
            id["nbf"] = nil
            if let email = user.email {
                id["email"] = .string(email)
                id["email_verified"] = true
            }
            body["id_token"] = .string(minter.mint(claims: id))
        }
        self.state.withLockedValue { state in
            state.login.sessions[sessionID]?.clients.insert(clientID)
            state.login.refreshTokens[refreshTokenID] = IssuerLoginState.RefreshGrant(
                clientID: clientID,
                sessionID: sessionID,
                nonce: nonce,
                scope: scope,
                expiresAt: now.addingTimeInterval(refreshLifetime)
            )
        }
        return .json(TokenJSON.object(body).jsonString)
    }

    /// An HS256 JWT over `claims` with the issuer's refresh token key.
    private func signRefreshToken(_ claims: [String: TokenJSON]) -> String {
        let header = TokenJSON.object(["alg": "HS256", "typ": "JWT", "kid": "refresh-hmac"]).jsonString
        let signingInput = TokenBase64URL.encode(header) + "." + TokenBase64URL.encode(TokenJSON.object(claims).jsonString)
        let mac = HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: SymmetricKey(data: self.refreshTokenKey))
        return signingInput + "." + TokenBase64URL.encode(Array(mac))
    }

    /// The `jti` of a refresh token whose HMAC verifies and whose `typ` is `Refresh`; `nil` otherwise.
    private func verifiedRefreshTokenID(_ token: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            return nil
        }
        let signingInput = parts[0] + "." + parts[1]
        let mac = HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: SymmetricKey(data: self.refreshTokenKey))
        guard TokenBase64URL.encode(Array(mac)) == parts[2] else {
            return nil
        }
        var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard
            let data = Data(base64Encoded: base64),
            let claims = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            claims["typ"] as? String == "Refresh"
        else {
            return nil
        }
        return claims["jti"] as? String
    }
}
