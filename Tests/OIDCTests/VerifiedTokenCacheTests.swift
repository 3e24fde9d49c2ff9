import Foundation
import OIDC
import Testing
import VZAuthTestSupport

@Suite("Verified-token cache")
struct VerifiedTokenCacheTests {
    @Test("a cache hit returns the same identity, and the entry expires with the clock")
    func hitAndExpiry() {
        let clock = TestClock(Fixture.now)
        let authenticator = Fixture.authenticator(clockSkew: 0, clock: clock)
        let token = Fixture.token()

        guard case .authenticated(let first) = authenticator.authenticateWithCurrentKeys(token) else {
            Issue.record("first verification failed")
            return
        }
        #expect(authenticator.cachedTokenCount == 1)
        clock.advance(by: 299)
        #expect(authenticator.authenticateWithCurrentKeys(token) == .authenticated(first))
        #expect(authenticator.cachedTokenCount == 1)

        clock.advance(by: 1)  // now == exp
        #expect(authenticator.authenticateWithCurrentKeys(token) == .rejected(.expired))
        #expect(authenticator.cachedTokenCount == 0)
    }

    @Test("an expired entry is not served even within the clock skew; full verification decides")
    func expiredEntryReverified() {
        let clock = TestClock(Fixture.now)
        let authenticator = Fixture.authenticator(clockSkew: 30, clock: clock)
        let token = Fixture.token()
        _ = authenticator.authenticateWithCurrentKeys(token)
        clock.advance(by: 310)  // past exp, within skew
        guard case .authenticated = authenticator.authenticateWithCurrentKeys(token) else {
            Issue.record("token within skew refused")
            return
        }
        #expect(authenticator.cachedTokenCount == 0)  // not re-cached after exp
        clock.advance(by: 30)
        #expect(authenticator.authenticateWithCurrentKeys(token) == .rejected(.expired))
    }

    @Test("a cached token stops working once its key leaves the key set")
    func keyRemoved() {
        let source = MutableKeySource(Fixture.keySet)
        let authenticator = Fixture.authenticator(keySource: source)
        let token = Fixture.token()
        guard case .authenticated = authenticator.authenticateWithCurrentKeys(token) else {
            Issue.record("first verification failed")
            return
        }
        source.set(try! JSONWebKeySet(jsonBytes: Array(TestKeys.jwks([TestKeys.rsa2]).utf8)))
        #expect(authenticator.authenticateWithCurrentKeys(token) == .needsKeyRefresh)
        #expect(authenticator.cachedTokenCount == 0)
    }

    @Test("the cache stays within its capacity")
    func capacity() {
        let authenticator = Fixture.authenticator(cacheCapacity: 8)
        for index in 0..<40 {
            let token = Fixture.token(["sub": .string("user-\(index)")], key: TestKeys.ed25519)
            guard case .authenticated = authenticator.authenticateWithCurrentKeys(token) else {
                Issue.record("token \(index) refused")
                return
            }
            #expect(authenticator.cachedTokenCount <= 8)
        }
    }

    @Test("capacity 0 disables the cache")
    func disabled() {
        let authenticator = Fixture.authenticator(cacheCapacity: 0)
        _ = authenticator.authenticateWithCurrentKeys(Fixture.token())
        #expect(authenticator.cachedTokenCount == 0)
    }

    @Test("concurrent verification of shared and distinct tokens is consistent")
    func concurrency() async {
        let authenticator = Fixture.authenticator(cacheCapacity: 16)
        let tokens = (0..<24).map { Fixture.token(["sub": .string("user-\($0)")], key: TestKeys.ed25519) }
        await withTaskGroup(of: Bool.self) { group in
            for round in 0..<200 {
                let token = tokens[round % tokens.count]
                let expected = "user-\(round % tokens.count)"
                group.addTask {
                    guard case .authenticated(let identity) = authenticator.authenticateWithCurrentKeys(token) else {
                        return false
                    }
                    return identity.username == expected
                }
            }
            for await succeeded in group {
                #expect(succeeded)
            }
        }
        #expect(authenticator.cachedTokenCount <= 16)
    }
}
