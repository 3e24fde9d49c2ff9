public import Foundation
public import Logging
public import OIDC

/// `Authorization: Basic` for machine clients, as both proxies accept it: the user name and password are exchanged
/// with the resource-owner password grant for tokens, verified as a bearer token is, and the grant is reused
/// (``PasswordGrantCache``) until its token expires.
///
/// ```swift
/// if let granted = grants.cached(credentials) { ... }           // on the event loop, no I/O
/// let outcome = await grants.grant(credentials)                  // off it: one grant per credential at a time
/// ```
public struct PasswordGrantClient: Sendable {
    /// The client the grant is made for (`verrazzano-pg`).
    public let clientID: String
    private let clientSecret: OIDCClientSecretFile?
    private let tokenClient: OIDCTokenClient
    private let authenticator: any BearerTokenAuthenticator
    private let scope: @Sendable () -> String
    private let accept: @Sendable (PasswordGrant) -> PasswordGrantFailure?
    private let cache: PasswordGrantCache
    private let logger: Logger
    private let now: @Sendable () -> Date

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - clientID: the password client; its tokens must be accepted by `authenticator`.
    ///   - clientSecret: its secret, for a confidential client.
    ///   - tokenClient: the issuer's token endpoint.
    ///   - authenticator: verifies the tokens the grant returns.
    ///   - scope: the scope to ask for (asked at each grant: it may follow discovery).
    ///   - lifetime: the longest a grant is reused, in seconds (never beyond its token's expiry).
    ///   - accept: a last check of a verified grant (a proxy's own identity rules); its failure is the answer and
    ///     the grant is not cached.
    public init(clientID: String, clientSecret: OIDCClientSecretFile?, tokenClient: OIDCTokenClient,
                authenticator: any BearerTokenAuthenticator, scope: @escaping @Sendable () -> String = { "openid" },
                lifetime: TimeInterval = 300, accept: @escaping @Sendable (PasswordGrant) -> PasswordGrantFailure? = { _ in nil },
                logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.tokenClient = tokenClient
        self.authenticator = authenticator
        self.scope = scope
        self.accept = accept
        self.cache = PasswordGrantCache(lifetime: lifetime)
        self.logger = logger
        self.now = now
    }

    /// The cached grant for `credentials`, if one is still valid; no I/O.
    public func cached(_ credentials: BasicCredentials) -> PasswordGrant? {
        cache.grant(for: cache.key(credentials), now: now())
    }

    /// The grant for `credentials`: cached, or made (once for concurrent callers with the same credentials).
    public func grant(_ credentials: BasicCredentials) async -> Result<PasswordGrant, PasswordGrantFailure> {
        let key = cache.key(credentials)
        if let granted = cache.grant(for: key, now: now()) { return .success(granted) }
        return await cache.obtain(key: key, now: now) { [self] in
            let outcome = await PasswordGrant.obtain(
                credentials, tokenClient: tokenClient, clientID: clientID, clientSecret: clientSecret?.current(),
                scope: scope(), authenticator: authenticator, logger: logger)
            guard case .success(let granted) = outcome, let refused = accept(granted) else { return outcome }
            return .failure(refused)
        }
    }
}
