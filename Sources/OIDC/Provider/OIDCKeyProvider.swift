public import AsyncHTTPClient
public import Logging
import NIOConcurrencyHelpers
import NIOSSL

/// Loads an OpenID Provider's discovery document and signing keys, keeps them fresh, and serves a synchronous
/// snapshot of the keys to ``TokenAuthenticator``.
///
/// Run it as a `Service` in the application's `ServiceGroup`: ``run()`` loads the keys at start (retrying with
/// exponential backoff until it succeeds) and then refreshes them every
/// ``OIDCProviderConfiguration/refreshInterval``, until graceful shutdown. Until the first load succeeded
/// ``isReady`` is `false` (wire it to the readiness probe).
///
/// A token naming an unknown `kid` (the issuer rotated its keys) triggers ``refetchForUnknownKey()``, at most
/// once per ``OIDCProviderConfiguration/unknownKeyRefetchInterval``; concurrent callers share one fetch.
///
/// HTTP: every request has a deadline (``OIDCProviderConfiguration/requestTimeout``) and a bounded body
/// (``OIDCProviderConfiguration/maximumResponseSize``). With ``OIDCProviderConfiguration/caFilePath`` the
/// requests trust only that CA. The `HTTPClient` is borrowed, never shut down by the provider; the default,
/// `HTTPClient.shared`, needs no shutdown.
public final class OIDCKeyProvider: VerificationKeySource {
    struct Loaded: Sendable {
        var discovery: OIDCDiscoveryDocument
        var keys: JSONWebKeySet
    }

    /// The configuration in use.
    public let configuration: OIDCProviderConfiguration
    let httpClient: HTTPClient
    let logger: Logger
    let observer: (@Sendable (KeyRefreshEvent) -> Void)?
    let tlsConfiguration: TLSConfiguration?
    private let loaded: NIOLockedValueBox<Loaded?>
    private let limiter: NIOLockedValueBox<RefetchLimiter<CheckedContinuation<Bool, Never>>>

    /// Creates a provider; it loads nothing until ``run()``, ``load()`` or ``refetchForUnknownKey()`` is called.
    ///
    /// - Parameters:
    ///   - configuration: Issuer, URLs, intervals and limits.
    ///   - httpClient: The client for discovery and key requests; not shut down by the provider.
    ///     Prefer one with redirects disabled.
    ///   - logger: Where load failures and key changes are logged.
    ///   - observer: Called after every load attempt, for metrics.
    public init(
        configuration: OIDCProviderConfiguration,
        httpClient: HTTPClient = .shared,
        logger: Logger,
        observer: (@Sendable (KeyRefreshEvent) -> Void)? = nil
    ) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
        self.observer = observer
        if let caFilePath = configuration.caFilePath {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(caFilePath)
            self.tlsConfiguration = tls
        } else {
            self.tlsConfiguration = nil
        }
        self.loaded = NIOLockedValueBox(nil)
        self.limiter = NIOLockedValueBox(RefetchLimiter(interval: configuration.unknownKeyRefetchInterval))
    }

    /// The current key set; `nil` until keys were loaded once. Lock-protected, cheap, never blocks on I/O.
    public var currentKeys: JSONWebKeySet? {
        self.loaded.withLockedValue { $0?.keys }
    }

    /// The discovery document from the last successful load, with `jwks_uri` as published.
    public var discoveryDocument: OIDCDiscoveryDocument? {
        self.loaded.withLockedValue { $0?.discovery }
    }

    /// Whether keys were loaded at least once.
    public var isReady: Bool {
        self.loaded.withLockedValue { $0 != nil }
    }

    /// Loads the discovery document and the key set now, replacing the current snapshot on success.
    ///
    /// - Throws: ``OIDCError/keysUnavailable`` (with a message saying what failed); the previous keys stay.
    public func load() async throws(OIDCError) {
        try await self.load(trigger: self.isReady ? .periodic : .startup)
    }

    /// Refetches the key set because a token named an unknown `kid`.
    ///
    /// At most one fetch starts per ``OIDCProviderConfiguration/unknownKeyRefetchInterval``: callers while a fetch
    /// is in flight share its result; callers after it, but within the interval, get `false` at once. If keys were
    /// never loaded, this performs a full load (discovery and keys).
    ///
    /// - Returns: `true` if a fetch succeeded and the snapshot was replaced.
    public func refetchForUnknownKey() async -> Bool {
        let action = self.limiter.withLockedValue { $0.request(now: .now) }
        switch action {
        case .refuse:
            return false
        case .wait:
            return await withCheckedContinuation { continuation in
                if let result = self.limiter.withLockedValue({ $0.enqueue(continuation) }) {
                    continuation.resume(returning: result)
                }
            }
        case .fetch:
            let succeeded: Bool
            do {
                try await self.load(trigger: .unknownKey)
                succeeded = true
            } catch {
                succeeded = false
            }
            let waiters = self.limiter.withLockedValue { $0.finish(succeeded: succeeded) }
            for waiter in waiters {
                waiter.resume(returning: succeeded)
            }
            return succeeded
        }
    }

    /// One load attempt: discovery (unless only the keys are wanted and a document is known), then keys.
    func load(trigger: KeyRefreshEvent.Trigger) async throws(OIDCError) {
        let previous = self.loaded.withLockedValue { $0 }
        do throws(KeyLoadFailure) {
            let discovery: OIDCDiscoveryDocument
            if trigger == .unknownKey, let known = previous?.discovery {
                discovery = known
            } else {
                discovery = try await self.fetchDiscoveryDocument()
            }
            let keys = try await self.fetchKeySet(discovery: discovery)
            self.loaded.withLockedValue { $0 = Loaded(discovery: discovery, keys: keys) }
            let kids = keys.keys.map { $0.keyID ?? "-" }
            if previous == nil {
                self.logger.info("Loaded issuer signing keys", metadata: ["kids": "\(kids)", "trigger": "\(trigger.rawValue)"])
            } else {
                self.logger.debug("Refreshed issuer signing keys", metadata: ["kids": "\(kids)", "trigger": "\(trigger.rawValue)"])
            }
            self.observer?(KeyRefreshEvent(trigger: trigger, outcome: .success(keyCount: keys.keys.count)))
        } catch {
            self.logger.warning(
                previous == nil
                    ? "The identity provider has not been reached yet: requests are answered 503 until it is"
                    : "Could not refresh issuer signing keys (the previous keys stay in use)",
                metadata: ["reason": "\(error.reason.rawValue)", "error": "\(error.message)", "trigger": "\(trigger.rawValue)"]
            )
            self.observer?(KeyRefreshEvent(trigger: trigger, outcome: .failure(error.reason)))
            throw OIDCError.keysUnavailable.with(message: "could not load signing keys: \(error.message)")
        }
    }
}

/// Why one load attempt failed (internal; surfaces as a ``KeyRefreshEvent`` and a log line).
struct KeyLoadFailure: Error {
    var reason: KeyRefreshEvent.FailureReason
    var message: String
}
