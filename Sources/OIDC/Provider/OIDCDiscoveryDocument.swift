/// The parts of an OpenID Provider's discovery document (`/.well-known/openid-configuration`) this project uses.
public struct OIDCDiscoveryDocument: Sendable, Hashable {
    /// `issuer`: the issuer identifier the provider claims.
    public var issuer: String
    /// `jwks_uri`: where the signing keys are published (as written in the document, not rewritten).
    public var jwksURI: String
    /// `authorization_endpoint`, for browser logins.
    public var authorizationEndpoint: String?
    /// `token_endpoint`, for code exchange, refresh and password grants.
    public var tokenEndpoint: String?
    /// `end_session_endpoint`, for logout.
    public var endSessionEndpoint: String?
    /// `userinfo_endpoint`.
    public var userinfoEndpoint: String?
    /// `scopes_supported`, when published (OpenID Connect Discovery 1.0 §3: RECOMMENDED).
    public var scopesSupported: [String]?
    /// `token_endpoint_auth_methods_supported`, when published; absent means `client_secret_basic` (RFC 8414 §2).
    public var tokenEndpointAuthMethodsSupported: [String]?
    /// `device_authorization_endpoint` (RFC 8628 §4), when the provider offers the device authorization grant
    /// (Keycloak publishes it always; each client must still enable the grant).
    public var deviceAuthorizationEndpoint: String?

    /// How a confidential client sends its secret: in the body (`client_secret_post`) only when the provider
    /// publishes that method and not `client_secret_basic`; HTTP Basic otherwise (the default of RFC 8414 §2 and
    /// OpenID Connect Core 9).
    public var sendsClientSecretInBody: Bool {
        guard let methods = tokenEndpointAuthMethodsSupported else { return false }
        return methods.contains("client_secret_post") && !methods.contains("client_secret_basic")
    }

    /// Creates a document from its members.
    public init(
        issuer: String,
        jwksURI: String,
        authorizationEndpoint: String? = nil,
        tokenEndpoint: String? = nil,
        endSessionEndpoint: String? = nil,
        userinfoEndpoint: String? = nil,
        scopesSupported: [String]? = nil,
        tokenEndpointAuthMethodsSupported: [String]? = nil,
        deviceAuthorizationEndpoint: String? = nil
    ) {
        self.deviceAuthorizationEndpoint = deviceAuthorizationEndpoint
        self.scopesSupported = scopesSupported
        self.tokenEndpointAuthMethodsSupported = tokenEndpointAuthMethodsSupported
        self.issuer = issuer
        self.jwksURI = jwksURI
        self.authorizationEndpoint = authorizationEndpoint
        self.tokenEndpoint = tokenEndpoint
        self.endSessionEndpoint = endSessionEndpoint
        self.userinfoEndpoint = userinfoEndpoint
    }

    /// Parses a discovery document.
    ///
    /// - Throws: ``OIDCError/keysUnavailable`` if it is not a JSON object with string `issuer` and `jwks_uri`
    ///   members, or if an optional endpoint member is present but not a string.
    public init<Bytes: Collection<UInt8>>(jsonBytes: Bytes) throws(OIDCError) {
        guard let document = StrictJSONValue(parsing: jsonBytes)?.objectValue else {
            throw OIDCError.keysUnavailable.with(message: "discovery document is not a JSON object")
        }
        guard
            let issuer = document["issuer"]?.stringValue,
            let jwksURI = document["jwks_uri"]?.stringValue, !jwksURI.isEmpty
        else {
            throw OIDCError.keysUnavailable.with(message: "discovery document lacks issuer or jwks_uri")
        }
        func optional(_ name: String) throws(OIDCError) -> String? {
            switch document[name] {
            case .none, .null?:
                return nil
            case .string(let value)?:
                return value
            default:
                throw OIDCError.keysUnavailable.with(message: "discovery document member \(name) is not a string")
            }
        }
        /// An array of strings; anything else is ignored (the member is advisory).
        func strings(_ name: String) -> [String]? {
            guard case .array(let values)? = document[name] else { return nil }
            let strings = values.compactMap(\.stringValue)
            return strings.count == values.count ? strings : nil
        }
        self.init(
            issuer: issuer,
            jwksURI: jwksURI,
            authorizationEndpoint: try optional("authorization_endpoint"),
            tokenEndpoint: try optional("token_endpoint"),
            endSessionEndpoint: try optional("end_session_endpoint"),
            userinfoEndpoint: try optional("userinfo_endpoint"),
            scopesSupported: strings("scopes_supported"),
            tokenEndpointAuthMethodsSupported: strings("token_endpoint_auth_methods_supported"),
            deviceAuthorizationEndpoint: try optional("device_authorization_endpoint")
        )
    }
}
