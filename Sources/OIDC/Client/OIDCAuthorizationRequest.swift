import Crypto

/// The secrets of one browser login with the authorization-code flow and PKCE (RFC 7636): `state`, `nonce` and
/// the `code_verifier`, and the authorization URL that starts the login.
///
/// Each of the three values is 32 random bytes, base64url without padding (43 characters). The login proxy keeps
/// them in its short-lived pending-login cookie and, on the callback, checks `state`, sends ``codeVerifier`` with
/// the code (``OIDCTokenClient/exchangeCode(_:codeVerifier:redirectURI:clientID:clientSecret:)``) and checks the
/// ID token's nonce (``TokenAuthenticator/authenticateIDToken(_:expectedNonce:)``).
///
/// - Important: ``description`` leaves out the verifier; do not log the values themselves.
public struct OIDCAuthorizationRequest: Sendable, Hashable, CustomStringConvertible {
    /// The PKCE method used: `S256` (`plain` is never used).
    public static let codeChallengeMethod = "S256"

    /// The `state` parameter: binds the callback to the browser that started the login (CSRF protection).
    public let state: String
    /// The `nonce` parameter: the ID token must carry it, binding the token to this login.
    public let nonce: String
    /// The PKCE `code_verifier`, sent only to the token endpoint.
    public let codeVerifier: String

    /// `base64url(SHA-256(codeVerifier))`, sent in the authorization URL as `code_challenge`.
    public var codeChallenge: String {
        Self.codeChallenge(for: self.codeVerifier)
    }

    /// Creates a request with fresh values from the system's cryptographically secure generator.
    public init() {
        var generator = SystemRandomNumberGenerator()
        self.init(using: &generator)
    }

    /// Creates a request with values drawn from `generator` (tests inject a deterministic one; production code
    /// must use a cryptographically secure generator, as ``init()`` does).
    public init<Generator: RandomNumberGenerator>(using generator: inout Generator) {
        self.state = Self.randomValue(using: &generator)
        self.nonce = Self.randomValue(using: &generator)
        self.codeVerifier = Self.randomValue(using: &generator)
    }

    /// Restores a pending login from its stored values (for example from the pending-login cookie).
    public init(state: String, nonce: String, codeVerifier: String) {
        self.state = state
        self.nonce = nonce
        self.codeVerifier = codeVerifier
    }

    /// The S256 code challenge for `verifier`: `base64url(SHA-256(ASCII(verifier)))` without padding.
    public static func codeChallenge(for verifier: String) -> String {
        Base64URL.encode(SHA256.hash(data: Array(verifier.utf8)))
    }

    /// The URL to send the browser to.
    ///
    /// Appends `response_type=code`, `client_id`, `redirect_uri`, `scope`, `state`, `nonce`, `code_challenge` and
    /// `code_challenge_method=S256` (then `additionalParameters`) to `endpoint`, form-urlencoded, joined to an
    /// existing query with `&`. A fragment of `endpoint` is dropped (RFC 6749 §3.1 forbids one).
    ///
    /// - Parameters:
    ///   - endpoint: The provider's `authorization_endpoint` as published in the discovery document. It is the
    ///     browser that goes there, so never rewrite it to an in-cluster address.
    ///   - clientID: The client id (Verrazzano: `verrazzano-pkce`).
    ///   - redirectURI: The callback URL (Verrazzano: `https://<host>/_authentication_callback`).
    ///   - scope: Space-separated scopes; default `openid`.
    ///   - additionalParameters: Extra parameters such as `prompt` or `kc_idp_hint`. Names of the parameters
    ///     above are ignored here: they cannot be overridden.
    public func authorizationURL(
        endpoint: String,
        clientID: String,
        redirectURI: String,
        scope: String = "openid",
        additionalParameters: [(name: String, value: String)] = []
    ) -> String {
        var parameters: [(name: String, value: String)] = [
            ("response_type", "code"),
            ("client_id", clientID),
            ("redirect_uri", redirectURI),
            ("scope", scope),
            ("state", self.state),
            ("nonce", self.nonce),
            ("code_challenge", self.codeChallenge),
            ("code_challenge_method", Self.codeChallengeMethod),
        ]
        let reserved = Set(parameters.map(\.name))
        parameters += additionalParameters.filter { !reserved.contains($0.name) }

        var base = endpoint
        if let fragment = base.firstIndex(of: "#") {
            base = String(base[..<fragment])
        }
        let separator: String
        if !base.contains("?") {
            separator = "?"
        } else if base.hasSuffix("?") || base.hasSuffix("&") {
            separator = ""
        } else {
            separator = "&"
        }
        return base + separator + FormURLEncoding.encode(parameters)
    }

    /// The URL to send the browser to, from the discovery document's `authorization_endpoint` (as published);
    /// `nil` if the document has none. See ``authorizationURL(endpoint:clientID:redirectURI:scope:additionalParameters:)``.
    public func authorizationURL(
        discovery: OIDCDiscoveryDocument,
        clientID: String,
        redirectURI: String,
        scope: String = "openid",
        additionalParameters: [(name: String, value: String)] = []
    ) -> String? {
        guard let endpoint = discovery.authorizationEndpoint, !endpoint.isEmpty else {
            return nil
        }
        return self.authorizationURL(
            endpoint: endpoint,
            clientID: clientID,
            redirectURI: redirectURI,
            scope: scope,
            additionalParameters: additionalParameters
        )
    }

    /// State and nonce, never the verifier.
    public var description: String {
        "OIDCAuthorizationRequest(state: \(self.state), nonce: \(self.nonce), codeVerifier: <redacted>)"
    }

    /// 32 random bytes, base64url (43 characters).
    private static func randomValue<Generator: RandomNumberGenerator>(using generator: inout Generator) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(32)
        for _ in 0..<4 {
            withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        return Base64URL.encode(bytes)
    }
}
