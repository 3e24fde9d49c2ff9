/// Where a ``TokenAuthenticator`` gets its verification keys.
///
/// ``OIDCKeyProvider`` is the production implementation (discovery + JWKS, refreshed in the background);
/// ``StaticKeySource`` serves a fixed set, for tests or statically configured keys.
public protocol VerificationKeySource: Sendable {
    /// The keys as of now; `nil` until keys were loaded once. Must be cheap and must not block on I/O:
    /// it is called on the request path.
    var currentKeys: JSONWebKeySet? { get }

    /// Asks for a refetch because a token named an unknown key id.
    ///
    /// Implementations rate-limit this. Returns `true` if the keys were refetched (so verifying again
    /// may now succeed), `false` if no refetch happened or it failed.
    func refetchForUnknownKey() async -> Bool
}

/// A ``VerificationKeySource`` over a fixed key set that never changes.
public struct StaticKeySource: VerificationKeySource {
    /// The fixed keys.
    public let currentKeys: JSONWebKeySet?

    /// Serves `keys` forever.
    public init(_ keys: JSONWebKeySet) {
        self.currentKeys = keys
    }

    /// Always `false`: a static set cannot learn new keys.
    public func refetchForUnknownKey() async -> Bool {
        false
    }
}
