import AsyncHTTPClient
public import Foundation
import Logging
import NIOCore
import OIDC

/// `vzauth login`: answers kubectl with a token from the cache, a refresh, or a new login, and keeps the cache.
///
/// 1. The cache entry (``TokenCache``) and ``TokenCacheDecision``: a good cached token is answered without any
///    network.
/// 2. Otherwise the provider's discovery document is loaded (``OIDCKeyProvider``), and the refresh token used
///    (``OIDCTokenClient/refresh(_:clientID:clientSecret:)``). A refused refresh (the session ended) leads to a
///    new login; a provider that cannot be reached is an error (a login would not work either).
/// 3. A login with the configured ``LoginGrant``; the new tokens are cached.
public struct KubeLoginFlow: Sendable {
    /// What to do.
    public let configuration: LoginConfiguration
    /// How to talk to the user.
    public let interaction: LoginInteraction
    private let now: @Sendable () -> Date

    /// Creates the flow.
    public init(configuration: LoginConfiguration, interaction: LoginInteraction, now: @escaping @Sendable () -> Date = { Date() }) {
        self.configuration = configuration
        self.interaction = interaction
        self.now = now
    }

    private var cache: TokenCache {
        TokenCache(directory: self.configuration.cacheDirectory)
    }

    /// The credential for kubectl.
    ///
    /// - Parameter interactive: `spec.interactive`, echoed in the credential.
    public func credential(interactive: Bool = false) async throws(KubeLoginError) -> ExecCredential {
        let key = self.configuration.cacheKey
        if case .useCached(let token, let expiresAt) = self.decide(key) {
            return ExecCredential(token: token, expirationTimestamp: expiresAt, interactive: interactive)
        }
        // One refresh or login at a time per entry; whoever waited may find the other's tokens.
        let lock = try await TokenCacheLock.acquire(key, in: self.cache, attempts: self.lockAttempts)
        defer { lock?.release() }
        let entry = self.cache.load(key)
        let decision = self.decide(key, entry: entry)
        if case .useCached(let token, let expiresAt) = decision {
            return ExecCredential(token: token, expirationTimestamp: expiresAt, interactive: interactive)
        }
        let tokens = try await self.withTokenClient {
            (client: OIDCTokenClient, discovery: OIDCDiscoveryDocument) async throws(KubeLoginError) -> CachedTokens in
            if case .refresh(let refreshToken) = decision,
               let refreshed = try await self.refresh(refreshToken, previous: entry, client: client) {
                return refreshed
            }
            return CachedTokens(response: try await self.logIn(client: client, discovery: discovery))
        }
        try self.cache.store(tokens, for: key)
        guard let found = tokens.token(self.configuration.tokenType) else {
            throw KubeLoginError(
                "the provider sent no \(self.configuration.tokenType == .id ? "ID token (is the openid scope requested?)" : "access token"); use --token-type access or add --scope openid")
        }
        return ExecCredential(token: found.token, expirationTimestamp: found.expiresAt, interactive: interactive)
    }

    /// The decision for `key`'s entry now.
    private func decide(_ key: TokenCacheKey, entry: CachedTokens?? = nil) -> TokenCacheDecision {
        TokenCacheDecision.decide(
            entry: entry ?? self.cache.load(key), tokenType: self.configuration.tokenType, now: self.now(),
            skew: self.configuration.skew)
    }

    /// How often to try the entry's lock (every 100 ms): as long as another process's login may take, plus a bit.
    private var lockAttempts: Int {
        Int(self.configuration.loginTimeout.components.seconds) * 10 + 50
    }

    /// Removes this issuer's, client's and user's cache entry.
    ///
    /// - Returns: Whether there was one.
    @discardableResult
    public func logout() throws(KubeLoginError) -> Bool {
        try self.cache.remove(self.configuration.cacheKey)
    }

    // MARK: Steps

    /// The refreshed tokens; `nil` when the provider refused the refresh (log in again).
    private func refresh(_ refreshToken: String, previous: CachedTokens?, client: OIDCTokenClient) async throws(KubeLoginError) -> CachedTokens? {
        do throws(OIDCTokenEndpointError) {
            let response = try await client.refresh(
                refreshToken, clientID: self.configuration.clientID, clientSecret: self.configuration.clientSecret)
            let tokens = CachedTokens(response: response, previous: previous)
            guard tokens.token(self.configuration.tokenType) != nil else {
                return nil
            }
            return tokens
        } catch where error.kind == .rejected {
            self.interaction.message("vzauth: the session at \(self.configuration.issuer) has ended; logging in again")
            return nil
        } catch {
            throw KubeLoginError("cannot refresh the token at \(self.configuration.issuer): \(error.message); check that the issuer is reachable")
        }
    }

    private func logIn(client: OIDCTokenClient, discovery: OIDCDiscoveryDocument) async throws(KubeLoginError) -> OIDCTokenResponse {
        switch self.configuration.grant {
        case .password:
            let (username, password) = try self.passwordCredentials()
            do throws(OIDCTokenEndpointError) {
                return try await client.passwordGrant(
                    username: username, password: password, clientID: self.configuration.clientID,
                    clientSecret: self.configuration.clientSecret, scope: self.configuration.scope)
            } catch {
                throw Self.loginError(error, configuration: self.configuration)
            }
        case .browser:
            return try await BrowserLogin(configuration: self.configuration, interaction: self.interaction)
                .run(client: client, discovery: discovery)
        case .device:
            return try await DeviceLogin(configuration: self.configuration, interaction: self.interaction, now: self.now)
                .run(client: client)
        }
    }

    /// The user name and password of the password grant: from the configuration and the password file, or
    /// prompted for when allowed.
    func passwordCredentials() throws(KubeLoginError) -> (username: String, password: String) {
        var username = self.configuration.username
        if username == nil || username?.isEmpty == true {
            guard self.interaction.mayPrompt, let typed = self.interaction.readLine("Username: "), !typed.isEmpty else {
                throw KubeLoginError("the password grant needs a user name; pass --username NAME")
            }
            username = typed
        }
        let password: String
        if let file = self.configuration.passwordFile {
            guard let data = FileManager.default.contents(atPath: file),
                  let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .newlines), !text.isEmpty
            else {
                throw KubeLoginError("cannot read a password from \(file) (missing, unreadable or empty); check --password-file")
            }
            password = text
        } else {
            guard self.interaction.mayPrompt else {
                throw KubeLoginError("the password grant needs a password and prompting is not possible here; pass --password-file FILE")
            }
            guard let typed = self.interaction.readSecret("Password for \(username ?? ""): "), !typed.isEmpty else {
                throw KubeLoginError("no password was entered; pass --password-file FILE or type the password")
            }
            password = typed
        }
        return (username ?? "", password)
    }

    /// A token endpoint error as a line for the user.
    static func loginError(_ error: OIDCTokenEndpointError, configuration: LoginConfiguration) -> KubeLoginError {
        switch error.oauthError {
        case .invalidGrant? where configuration.grant == .password:
            return KubeLoginError("the provider refused the user name or password (\(error.message)); check --username and --password-file")
        case .invalidClient?:
            return KubeLoginError("the provider does not know client \(configuration.clientID) or its secret (\(error.message)); check --client-id and --client-secret-file")
        case .unauthorizedClient?, .unsupportedGrantType?:
            return KubeLoginError("client \(configuration.clientID) may not use the \(configuration.grant.rawValue) grant (\(error.message)); enable it on the client at the provider or pass another --grant")
        default:
            if error.kind == .rejected {
                return KubeLoginError("the login was refused: \(error.message)")
            }
            return KubeLoginError("the login failed: \(error.message); check that \(configuration.issuer) is reachable")
        }
    }

    // MARK: Provider

    /// Runs `body` with a token client for the issuer (discovery loaded), and shuts the HTTP client down.
    private func withTokenClient<Result: Sendable>(
        _ body: (OIDCTokenClient, OIDCDiscoveryDocument) async throws(KubeLoginError) -> Result
    ) async throws(KubeLoginError) -> Result {
        if let caFile = self.configuration.caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw KubeLoginError("cannot read the issuer CA file \(caFile); check --ca-file")
        }
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.redirectConfiguration = .disallow
        // A command answers at once that the provider is unreachable, instead of retrying until the deadline.
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        httpConfiguration.timeout.connect = .seconds(10)
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
        let logger = Logger(label: "vzauth.login", factory: { _ in SwiftLogNoOpLogHandler() })
        let provider = OIDCKeyProvider(
            configuration: OIDCProviderConfiguration(issuer: self.configuration.issuer, caFilePath: self.configuration.caFile),
            httpClient: httpClient,
            logger: logger
        )
        let result: Swift.Result<Result, KubeLoginError>
        do throws(OIDCError) {
            try await provider.load()
            let client = OIDCTokenClient(keyProvider: provider, httpClient: httpClient, logger: logger, now: self.now)
            do throws(KubeLoginError) {
                guard let discovery = provider.discoveryDocument else {
                    throw KubeLoginError("the OpenID provider \(self.configuration.issuer) has no discovery document")
                }
                result = .success(try await body(client, discovery))
            } catch {
                result = .failure(error)
            }
        } catch {
            result = .failure(KubeLoginError(
                "cannot reach the OpenID provider \(self.configuration.issuer): \(error.message); check --issuer (and --ca-file for a private CA)"))
        }
        try? await httpClient.shutdown()
        return try result.get()
    }
}
