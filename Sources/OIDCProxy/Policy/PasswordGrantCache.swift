import Crypto
import Foundation
import OIDC
import ProxyFrontDoor
import Synchronization

/// Identities obtained for `Authorization: Basic` credentials with the password grant, reused until their token
/// expires (at most `lifetime`), so a script's requests do not each cost a round trip to the identity provider.
///
/// Keyed by a SHA-256 of the credential with a per-process random salt: neither the password nor an unsalted hash
/// of it is ever held. Bounded; concurrent requests with one credential make one grant.
final class PasswordGrantCache: Sendable {
    private let entries: ExpiringCache<Data, Identity>
    private let inFlight = SingleFlight<Result<Identity, PasswordGrantFailure>>(retention: .seconds(2))
    private let salt: [UInt8] = (0..<32).map { _ in UInt8.random(in: .min ... .max) }
    private let lifetime: TimeInterval

    init(lifetime: TimeInterval, capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.entries = ExpiringCache(capacity: capacity)
    }

    /// The cache key of a credential.
    func key(username: String, password: String) -> Data {
        var hasher = SHA256()
        hasher.update(data: salt)
        hasher.update(data: Array(username.utf8))
        hasher.update(data: [0])
        hasher.update(data: Array(password.utf8))
        return Data(hasher.finalize())
    }

    /// The cached identity for `key`, if still valid at `now`.
    func identity(for key: Data, now: Date) -> Identity? {
        entries.value(for: key, now: now)
    }

    /// Runs `grant` once for concurrent callers with the same `key`, caching a success.
    func obtain(key: Data, now: @escaping @Sendable () -> Date,
                _ grant: @escaping @Sendable () async -> Result<Identity, PasswordGrantFailure>) async -> Result<Identity, PasswordGrantFailure> {
        let outcome = (try? await inFlight.run(key: key.base64EncodedString(), grant)) ?? .failure(.unavailable)
        if case .success(let identity) = outcome {
            let current = now()
            entries.insert(identity, for: key, expiresAt: min(identity.expiresAt, current.addingTimeInterval(lifetime)), now: current)
        }
        return outcome
    }
}

/// Why a Basic credential was not accepted.
enum PasswordGrantFailure: Error, Sendable {
    /// Wrong user name or password (or the client may not use the grant).
    case rejected
    /// The identity provider could not be asked.
    case unavailable
    /// The tokens were issued but the identity is refused (missing role, bad names): the answer to give.
    case refused(ProxyRefusal)
}
