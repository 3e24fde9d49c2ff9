// Token verification benchmark (run by hand, release mode):
//
//     swift run -c release vzauth-token-bench
//
// Prints microseconds per token for a cache hit and for a full (uncached) verification, per algorithm, and as the
// baseline the signature check alone through swift-crypto (same machine, same run): the ratio of the two is what the
// JOSE parsing and the claim rules cost on top of the cryptography, comparable across machines.
// Optional arguments restrict the run to some algorithms: `vzauth-token-bench RS256`.
import Foundation
import OIDC
import VZAuthTestSupport

let issuer = "https://keycloak.example.com/auth/realms/verrazzano-system"
let policy = TokenPolicy(issuer: issuer, allowedClientIDs: ["verrazzano-pkce", "verrazzano-pg"])
let mapping = ClaimMapping(requiredRole: "vz_api_access")
let keys = [TestKeys.rsa, TestKeys.p256, TestKeys.ed25519]
let keySet = try JSONWebKeySet(jsonBytes: Array(TestKeys.jwks(keys).utf8))
let source = StaticKeySource(keySet)

/// Per-iteration cost in microseconds: wall clock, and this thread's CPU time (robust on a busy machine).
func microseconds(iterations: Int, _ body: () -> Void) -> (wall: Double, cpu: Double) {
    func threadCPUTime() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) * 1e6 + Double(spec.tv_nsec) / 1e3
    }
    let cpuStart = threadCPUTime()
    let elapsed = ContinuousClock().measure {
        for _ in 0..<iterations {
            body()
        }
    }
    let cpu = (threadCPUTime() - cpuStart) / Double(iterations)
    let (seconds, attoseconds) = elapsed.components
    return ((Double(seconds) * 1e6 + Double(attoseconds) / 1e12) / Double(iterations), cpu)
}

let selected = Set(CommandLine.arguments.dropFirst())

print("algorithm  token-bytes  uncached-µs (wall/cpu)  signature-only-µs  uncached/signature  cached-µs (wall/cpu)")
for key in keys where selected.isEmpty || selected.contains(key.defaultAlgorithm) {
    let minter = TokenMinter(key: key, issuer: issuer)
    let token = minter.mint(claims: minter.keycloakClaims(lifetime: 3600, groups: ["verrazzano-admins", "verrazzano-monitors"]))

    let uncached = TokenAuthenticator(keySource: source, policy: policy, mapping: mapping, cacheCapacity: 0)
    let cached = TokenAuthenticator(keySource: source, policy: policy, mapping: mapping)
    guard case .authenticated = uncached.authenticateWithCurrentKeys(token) else {
        fatalError("benchmark token for \(key.defaultAlgorithm) does not verify")
    }
    _ = cached.authenticateWithCurrentKeys(token)

    // The baseline: the same signature over the same signing input, checked by swift-crypto with no JOSE around it.
    let parts = token.split(separator: ".", omittingEmptySubsequences: false)
    let signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
    guard let signature = Base64URL.decode(parts[2].utf8) else {
        fatalError("benchmark token for \(key.defaultAlgorithm) has no signature")
    }
    let checkSignature = key.defaultSignatureCheck()

    var failures = 0
    let bare = microseconds(iterations: 3_000) {
        if !checkSignature(signature, signingInput) { failures += 1 }
    }
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
            + String(format: "%.2f / %.2f", full.wall, full.cpu).padding(toLength: 24, withPad: " ", startingAt: 0)
            + String(format: "%.2f", bare.cpu).padding(toLength: 19, withPad: " ", startingAt: 0)
            + String(format: "%.2fx", full.cpu / bare.cpu).padding(toLength: 20, withPad: " ", startingAt: 0)
            + String(format: "%.3f / %.3f", hit.wall, hit.cpu)
    )
}
