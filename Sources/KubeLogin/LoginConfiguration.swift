public import Foundation
public import OIDC

/// Everything `vzauth login` needs to know, resolved from the command line.
public struct LoginConfiguration: Sendable {
    /// The issuer URL (discovery at `<issuer>/.well-known/openid-configuration`).
    public var issuer: String
    /// The client id (Verrazzano: `verrazzano-pkce`).
    public var clientID: String
    /// A confidential client's secret.
    public var clientSecret: OIDCClientSecret?
    /// How to log in when the cache cannot help.
    public var grant: LoginGrant
    /// The user name (password grant; also part of the cache key).
    public var username: String?
    /// The password file of the password grant; `nil`: prompt.
    public var passwordFile: String?
    /// A PEM file of the CA of the issuer's certificate; `nil`: the system roots.
    public var caFile: String?
    /// The requested scopes.
    public var scopes: [String]
    /// Which token kubectl gets.
    public var tokenType: TokenType
    /// Where the cache files are.
    public var cacheDirectory: URL
    /// The loopback port of the browser flow (0: any free one).
    public var listenPort: Int
    /// Whether the browser flow tries to open a browser (the URL is printed either way).
    public var opensBrowser: Bool
    /// How long before expiry a token counts as expired.
    public var skew: TimeInterval
    /// How long a browser or device login may take.
    public var loginTimeout: Duration

    /// Creates a configuration.
    public init(
        issuer: String,
        clientID: String = "verrazzano-pkce",
        clientSecret: OIDCClientSecret? = nil,
        grant: LoginGrant = .browser,
        username: String? = nil,
        passwordFile: String? = nil,
        caFile: String? = nil,
        scopes: [String] = ["openid"],
        tokenType: TokenType = .access,
        cacheDirectory: URL = TokenCache.defaultDirectory(),
        listenPort: Int = 0,
        opensBrowser: Bool = true,
        skew: TimeInterval = 30,
        loginTimeout: Duration = .seconds(300)
    ) {
        self.issuer = issuer
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.grant = grant
        self.username = username
        self.passwordFile = passwordFile
        self.caFile = caFile
        self.scopes = scopes
        self.tokenType = tokenType
        self.cacheDirectory = cacheDirectory
        self.listenPort = listenPort
        self.opensBrowser = opensBrowser
        self.skew = skew
        self.loginTimeout = loginTimeout
    }

    /// The cache entry of this issuer, client, user and scopes.
    public var cacheKey: TokenCacheKey {
        TokenCacheKey(issuer: self.issuer, clientID: self.clientID, username: self.username, scopes: self.scopes)
    }

    /// The scopes as sent: space-separated.
    public var scope: String {
        self.scopes.joined(separator: " ")
    }
}
