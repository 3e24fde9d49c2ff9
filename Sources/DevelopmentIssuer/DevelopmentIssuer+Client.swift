extension DevelopmentIssuer {
    /// A client of the realm, as configured in Keycloak.
    public struct Client: Sendable, Hashable {
        /// The client id.
        public var id: String
        /// The secret of a confidential client; `nil`: a public client.
        public var secret: String?
        /// Valid redirect URIs, as Keycloak's "Valid redirect URIs": an exact URI, or one ending in `*` (a prefix).
        /// With loopback hosts (`127.0.0.1`, `[::1]`, `localhost`) over `http` the port is ignored (RFC 8252 §7.3);
        /// a `:*` port is accepted for readability. They are also the valid post-logout redirect URIs. Enforced only
        /// when ``Configuration/enforcesRedirectURIs`` is set.
        public var redirectURIs: [String]
        /// Where the issuer posts a back-channel logout token when a session this client took part in ends.
        public var backchannelLogoutURI: String?

        /// Creates a client.
        public init(id: String, secret: String? = nil, redirectURIs: [String] = [], backchannelLogoutURI: String? = nil) {
            self.id = id
            self.secret = secret
            self.redirectURIs = redirectURIs
            self.backchannelLogoutURI = backchannelLogoutURI
        }

        /// Verrazzano's `verrazzano-pkce`: public, PKCE required, loopback redirect URIs (for `vzauth login`) and the
        /// OIDC proxy's callback(s).
        public static func pkce(proxyRedirectURIs: [String] = [], backchannelLogoutURI: String? = nil) -> Client {
            Client(
                id: "verrazzano-pkce",
                redirectURIs: ["http://127.0.0.1:*/*", "http://localhost:*/*"] + proxyRedirectURIs,
                backchannelLogoutURI: backchannelLogoutURI
            )
        }

        /// Verrazzano's `verrazzano-pg`: public, for the password grant (no redirects).
        public static let passwordGrant = Client(id: "verrazzano-pg")
    }
}
