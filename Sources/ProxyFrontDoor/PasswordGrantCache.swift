import Crypto
import Foundation
import NIOHTTP1
public import OIDC

/// What the password grant gave for a Basic credential: the identity its token proves, and that token (what a next
/// hop that checks tokens itself, a managed cluster's API proxy, is sent instead of the password).
public struct PasswordGrant: Sendable {
    /// The identity.
    public var identity: Identity
    /// The verified token (access token, or ID token when the access token is not one the proxy can verify).
    public var token: String

    /// Creates a grant.
    public init(identity: Identity, token: String) {
        self.identity = identity
        self.token = token
    }
}

/// Why a Basic credential was not accepted.
public enum PasswordGrantFailure: Error, Sendable {
    /// Wrong user name or password (or the client may not use the grant).
    case rejected
    /// The identity provider could not be asked.
    case unavailable
    /// The tokens were issued but the identity is refused (missing role, bad names): the answer to give.
    case refused(ProxyRefusal)

    /// The refusal to answer with: 401 for wrong credentials, 503 when the provider cannot be asked, or the
    /// identity's own refusal.
    public var refusal: ProxyRefusal {
        switch self {
        case .rejected:
            ProxyRefusal(.unauthorized, reason: "bad_credentials", message: "Invalid user name or password", challenge: .bearer)
        case .unavailable:
            ProxyRefusal(.serviceUnavailable, reason: "password_grant_unavailable",
                         message: "The identity provider is not reachable; try again shortly")
        case .refused(let refusal):
            refusal
        }
    }
}

/// Grants obtained for `Authorization: Basic` credentials with the password grant, reused until their token
/// expires (at most `lifetime`), so a script's requests do not each cost a round trip to the identity provider.
///
/// Keyed by a SHA-256 of the credential with a per-process random salt: neither the password nor an unsalted hash
/// of it is ever held. Bounded; concurrent requests with one credential make one grant.
final class PasswordGrantCache: Sendable {
    private let entries: ExpiringCache<Data, PasswordGrant>
    private let inFlight = SingleFlight<Result<PasswordGrant, PasswordGrantFailure>>(retention: .seconds(2))
    private let salt: [UInt8] = (0..<32).map { _ in UInt8.random(in: .min ... .max) }
    private let lifetime: TimeInterval

    /// Creates a cache whose grants are reused for at most `lifetime` seconds.
    init(lifetime: TimeInterval, capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.entries = ExpiringCache(capacity: capacity)
    }

    /// The cache key of a credential.
    func key(_ credentials: BasicCredentials) -> Data {
        var hasher = SHA256()
        hasher.update(data: salt)
        hasher.update(data: Array(credentials.username.utf8))
        hasher.update(data: [0])
        hasher.update(data: Array(credentials.password.utf8))
        return Data(hasher.finalize())
    }

    /// The cached grant for `key`, if still valid at `now`.
    func grant(for key: Data, now: Date) -> PasswordGrant? {
        entries.value(for: key, now: now)
    }

    /// Runs `grant` once for concurrent callers with the same `key`, caching a success.
    func obtain(key: Data, now: @escaping @Sendable () -> Date,
                       _ grant: @escaping @Sendable () async -> Result<PasswordGrant, PasswordGrantFailure>) async -> Result<PasswordGrant, PasswordGrantFailure> {
        let outcome = (try? await inFlight.run(key: key.base64EncodedString(), grant)) ?? .failure(.unavailable)
        if case .success(let granted) = outcome {
            let current = now()
            entries.insert(granted, for: key, expiresAt: min(granted.identity.expiresAt, current.addingTimeInterval(lifetime)), now: current)
        }
        return outcome
    }
}
