import Crypto
public import Foundation

/// Mints compact JWS tokens: the development issuer's Keycloak-shaped tokens and, for tests, deliberately broken ones.
public struct TokenMinter: Sendable {
    /// The signing key.
    public var key: SigningKey
    /// The `iss` of minted claims.
    public var issuer: String
    /// The `azp` (and the ID and logout tokens' `aud`) of minted claims.
    public var clientID: String

    /// Creates a minter signing with `key`.
    public init(key: SigningKey, issuer: String, clientID: String = "verrazzano-pkce") {
        self.key = key
        self.issuer = issuer
        self.clientID = clientID
    }

    /// Claims shaped like a Keycloak access token: `iss`, `sub` (a UUID), `azp`, `typ: Bearer`, `exp`, `iat`,
    /// `nbf`, `preferred_username`, `groups`, `realm_access.roles`.
    public func keycloakClaims(
        now: Date = Date(),
        lifetime: TimeInterval = 300,
        subject: String = "8f0e6c1e-3b7a-4d4f-9b1a-5c2d7e9f0a11",
        username: String = "alice",
        groups: [String] = ["verrazzano-admins"],
        roles: [String] = ["vz_api_access", "offline_access"]
    ) -> [String: TokenJSON] {
        [
            "iss": .string(self.issuer),
            "sub": .string(subject),
            "azp": .string(self.clientID),
            "typ": "Bearer",
            "exp": .date(now.addingTimeInterval(lifetime)),
            "iat": .date(now),
            "nbf": .date(now),
            "preferred_username": .string(username),
            "groups": .array(groups.map(TokenJSON.string)),
            "realm_access": ["roles": .array(roles.map(TokenJSON.string))],
        ]
    }

    /// Claims shaped like a Keycloak ID token: those of ``keycloakClaims(now:lifetime:subject:username:groups:roles:)``
    /// with `typ: ID`, `aud` = the client id, `nonce` (omitted when `nil`), `sid` and `session_state`,
    /// `auth_time` and a fresh `jti`.
    public func keycloakIDTokenClaims(
        now: Date = Date(),
        lifetime: TimeInterval = 300,
        subject: String = "8f0e6c1e-3b7a-4d4f-9b1a-5c2d7e9f0a11",
        username: String = "alice",
        groups: [String] = ["verrazzano-admins"],
        roles: [String] = ["vz_api_access", "offline_access"],
        nonce: String? = "test-nonce",
        sessionID: String = "5d3c2b1a-0f9e-4d8c-b7a6-958473625140"
    ) -> [String: TokenJSON] {
        var claims = self.keycloakClaims(now: now, lifetime: lifetime, subject: subject, username: username, groups: groups, roles: roles)
        claims["typ"] = "ID"
        claims["aud"] = .string(self.clientID)
        claims["sid"] = .string(sessionID)
        claims["session_state"] = .string(sessionID)
        claims["auth_time"] = .date(now)
        claims["jti"] = .string(UUID().uuidString.lowercased())
        if let nonce {
            claims["nonce"] = .string(nonce)
        }
        return claims
    }

    /// Claims of an OpenID Connect Back-Channel Logout token as Keycloak sends them: `iss`, `aud` (the client id),
    /// `iat`, `exp` (if `lifetime` is given), `jti`, `events` with the back-channel logout event, `typ: Logout`,
    /// and `sub` / `sid` when given.
    public func logoutTokenClaims(
        now: Date = Date(),
        subject: String? = "8f0e6c1e-3b7a-4d4f-9b1a-5c2d7e9f0a11",
        sessionID: String? = "5d3c2b1a-0f9e-4d8c-b7a6-958473625140",
        tokenID: String = UUID().uuidString.lowercased(),
        lifetime: TimeInterval? = 120
    ) -> [String: TokenJSON] {
        var claims: [String: TokenJSON] = [
            "iss": .string(self.issuer),
            "aud": .string(self.clientID),
            "iat": .date(now),
            "jti": .string(tokenID),
            "events": ["http://schemas.openid.net/event/backchannel-logout": [:]],
            "typ": "Logout",
        ]
        if let lifetime {
            claims["exp"] = .date(now.addingTimeInterval(lifetime))
        }
        if let subject {
            claims["sub"] = .string(subject)
        }
        if let sessionID {
            claims["sid"] = .string(sessionID)
        }
        return claims
    }

    /// Mints a logout token with `claims` and the header `typ: logout+jwt` (then `headerChanges`, as in
    /// ``mint(claims:algorithm:headerChanges:)``).
    public func mintLogoutToken(claims: [String: TokenJSON], headerChanges: [String: TokenJSON] = [:]) -> String {
        var changes: [String: TokenJSON] = ["typ": "logout+jwt"]
        changes.merge(headerChanges, uniquingKeysWith: { $1 })
        return self.mint(claims: claims, headerChanges: changes)
    }

    /// The default header for `algorithm`: `alg`, `typ: JWT`, and the key's `kid`.
    public func header(algorithm: String? = nil) -> [String: TokenJSON] {
        ["alg": .string(algorithm ?? self.key.defaultAlgorithm), "typ": "JWT", "kid": .string(self.key.kid)]
    }

    /// Mints a token with `claims`, signed with ``key``.
    ///
    /// - Parameters:
    ///   - algorithm: The signing algorithm; default the key's default (RS256, ES256, ...).
    ///   - headerChanges: Members to set in the default header; a `.null` value removes the member
    ///     (`["kid": nil]` mints a token without `kid`).
    public func mint(
        claims: [String: TokenJSON],
        algorithm: String? = nil,
        headerChanges: [String: TokenJSON] = [:]
    ) -> String {
        let algorithm = algorithm ?? self.key.defaultAlgorithm
        var header = self.header(algorithm: algorithm)
        for (name, value) in headerChanges {
            if value == .null {
                header.removeValue(forKey: name)
            } else {
                header[name] = value
            }
        }
        return self.mint(headerJSON: TokenJSON.object(header).jsonString, payloadJSON: TokenJSON.object(claims).jsonString, algorithm: algorithm)
    }

    /// Mints a token from raw header and payload JSON text (for malformed JSON), signed with ``key`` using `algorithm`.
    public func mint(headerJSON: String, payloadJSON: String, algorithm: String? = nil) -> String {
        let signingInput = TokenBase64URL.encode(headerJSON) + "." + TokenBase64URL.encode(payloadJSON)
        let signature = self.key.sign(Array(signingInput.utf8), algorithm: algorithm ?? self.key.defaultAlgorithm)
        return signingInput + "." + TokenBase64URL.encode(signature)
    }

    /// Signs an arbitrary signing input (`header.payload` in whatever encoding) and appends the signature.
    public func sign(signingInput: String, algorithm: String? = nil) -> String {
        let signature = self.key.sign(Array(signingInput.utf8), algorithm: algorithm ?? self.key.defaultAlgorithm)
        return signingInput + "." + TokenBase64URL.encode(signature)
    }

    // MARK: Broken tokens

    /// `token` with one bit of its signature flipped (still valid base64url, same length).
    public static func tamperedSignature(_ token: String) -> String {
        var parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var signature = Array(Data(base64Encoded: Self.padded(parts[2]))!)
        signature[signature.count / 2] ^= 0x01
        parts[2] = TokenBase64URL.encode(signature)
        return parts.joined(separator: ".")
    }

    /// `token` with `claims` swapped in but the original signature kept.
    public static func replacingPayload(of token: String, with claims: [String: TokenJSON]) -> String {
        var parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        parts[1] = TokenBase64URL.encode(TokenJSON.object(claims).jsonString)
        return parts.joined(separator: ".")
    }

    /// An unsigned token: `alg: none` and an empty signature segment.
    public func unsigned(claims: [String: TokenJSON]) -> String {
        let header = TokenJSON.object(["alg": "none", "typ": "JWT", "kid": .string(self.key.kid)]).jsonString
        return TokenBase64URL.encode(header) + "." + TokenBase64URL.encode(TokenJSON.object(claims).jsonString) + "."
    }

    /// An unsigned token with `alg: none` and a junk (non-empty) signature segment.
    public func unsignedWithJunkSignature(claims: [String: TokenJSON]) -> String {
        self.unsigned(claims: claims) + "AAAA"
    }

    /// The key-confusion attack: `HS256` with the RSA public key's bytes (`der` or PEM) as the HMAC secret.
    public func hs256WithPublicKey(claims: [String: TokenJSON], usePEM: Bool = false) -> String {
        let secret: [UInt8] = usePEM ? Array((self.key.rsaPublicKeyPEM ?? "").utf8) : (self.key.rsaPublicKeyDER ?? [])
        let header = TokenJSON.object(["alg": "HS256", "typ": "JWT", "kid": .string(self.key.kid)]).jsonString
        let signingInput = TokenBase64URL.encode(header) + "." + TokenBase64URL.encode(TokenJSON.object(claims).jsonString)
        let mac = HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: SymmetricKey(data: secret))
        return signingInput + "." + TokenBase64URL.encode(Array(mac))
    }

    private static func padded(_ base64url: String) -> String {
        var text = base64url.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        return text
    }
}
