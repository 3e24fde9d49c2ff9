// Token verification benchmark (run by hand, release mode):
//
//     swift run -c release vzauth-token-bench
//
// Prints microseconds per token for a cache hit and for a full (uncached) verification, per algorithm.
import Foundation
import OIDC
import VZAuthTestSupport

let issuer = "https://keycloak.example.com/auth/realms/verrazzano-system"
let policy = TokenPolicy(issuer: issuer, allowedClientIDs: ["verrazzano-pkce", "verrazzano-pg"])
let mapping = ClaimMapping(requiredRole: "vz_api_access")
let keys = [TestKeys.rsa, TestKeys.p256, TestKeys.ed25519]
let keySet = try JSONWebKeySet(jsonBytes: Array(TestKeys.jwks(keys).utf8))
let source = StaticKeySource(keySet)

func microseconds(iterations: Int, _ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    let elapsed = clock.measure {
        for _ in 0..<iterations {
            body()
        }
    }
    let (seconds, attoseconds) = elapsed.components
    return (Double(seconds) * 1e6 + Double(attoseconds) / 1e12) / Double(iterations)
}

print("algorithm  token-bytes  uncached-µs  cached-µs")
for key in keys {
    let minter = TokenMinter(key: key, issuer: issuer)
    let token = minter.mint(claims: minter.keycloakClaims(lifetime: 3600, groups: ["verrazzano-admins", "verrazzano-monitors"]))

    let uncached = TokenAuthenticator(keySource: source, policy: policy, mapping: mapping, cacheCapacity: 0)
    let cached = TokenAuthenticator(keySource: source, policy: policy, mapping: mapping)
    guard case .authenticated = uncached.authenticateWithCurrentKeys(token) else {
        fatalError("benchmark token for \(key.defaultAlgorithm) does not verify")
    }
    _ = cached.authenticateWithCurrentKeys(token)

    var failures = 0
    let full = microseconds(iterations: 3_000) {
        if case .authenticated = uncached.authenticateWithCurrentKeys(token) {} else { failures += 1 }
    }
    let hit = microseconds(iterations: 300_000) {
        if case .authenticated = cached.authenticateWithCurrentKeys(token) {} else { failures += 1 }
    }
    precondition(failures == 0)
    print(
        key.defaultAlgorithm.padding(toLength: 11, withPad: " ", startingAt: 0)
            + String(token.utf8.count).padding(toLength: 13, withPad: " ", startingAt: 0)
            + String(format: "%-13.2f", full)
            + String(format: "%.3f", hit)
    )
}
