import Foundation
import OIDC
import VZAuthTestSupport

/// Shared test fixtures: a fixed clock, an issuer, a static key set with every kind of key.
enum Fixture {
    static let now = Date(timeIntervalSince1970: 1_750_000_000)
    static let issuer = "https://keycloak.example.com/auth/realms/verrazzano-system"
    static let clients: Set<String> = ["verrazzano-pkce", "verrazzano-pg"]

    /// `rsa-2` is published with `alg: PS256`, so it may verify PS256 only.
    static let keySet: JSONWebKeySet = {
        let jwks = TestKeys.jwks(jwks: [
            TestKeys.rsa.publicJWK(),
            TestKeys.rsa2.publicJWK(algorithm: "PS256"),
            TestKeys.p256.publicJWK(),
            TestKeys.p384.publicJWK(),
            TestKeys.p521.publicJWK(),
            TestKeys.ed25519.publicJWK(),
        ])
        return try! JSONWebKeySet(jsonBytes: Array(jwks.utf8))
    }()

    static func minter(_ key: TestSigningKey = TestKeys.rsa) -> TokenMinter {
        TokenMinter(key: key, issuer: issuer)
    }

    /// Keycloak-like claims at ``now``, with `changes` applied and `removing` members dropped.
    static func claims(_ changes: [String: TokenJSON] = [:], removing: [String] = []) -> [String: TokenJSON] {
        var claims = minter().keycloakClaims(now: now)
        claims.merge(changes, uniquingKeysWith: { $1 })
        for name in removing {
            claims[name] = nil
        }
        return claims
    }

    static func token(_ changes: [String: TokenJSON] = [:], removing: [String] = [], key: TestSigningKey = TestKeys.rsa) -> String {
        minter(key).mint(claims: claims(changes, removing: removing))
    }

    static func authenticator(
        mapping: ClaimMapping = ClaimMapping(requiredRole: "vz_api_access"),
        keySource: (any VerificationKeySource)? = nil,
        clockSkew: TimeInterval = 30,
        cacheCapacity: Int = 10_000,
        clock: TestClock? = nil
    ) -> TokenAuthenticator {
        let clock = clock ?? TestClock(now)
        return TokenAuthenticator(
            keySource: keySource ?? StaticKeySource(keySet),
            policy: TokenPolicy(issuer: issuer, allowedClientIDs: clients, clockSkew: clockSkew),
            mapping: mapping,
            cacheCapacity: cacheCapacity,
            now: { clock.now }
        )
    }
}

/// A settable clock.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date) {
        self.current = start
    }

    var now: Date {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.current
    }

    func advance(by seconds: TimeInterval) {
        self.lock.lock()
        defer { self.lock.unlock() }
        self.current = self.current.addingTimeInterval(seconds)
    }
}

/// A key source whose keys a test can swap.
final class MutableKeySource: VerificationKeySource, @unchecked Sendable {
    private let lock = NSLock()
    private var keys: JSONWebKeySet?

    init(_ keys: JSONWebKeySet?) {
        self.keys = keys
    }

    var currentKeys: JSONWebKeySet? {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.keys
    }

    func set(_ keys: JSONWebKeySet?) {
        self.lock.lock()
        defer { self.lock.unlock() }
        self.keys = keys
    }

    func refetchForUnknownKey() async -> Bool {
        false
    }
}
