import Foundation
import OIDC
import Testing

@Suite("ExpiringCache: the one bounded expiring cache")
struct ExpiringCacheTests {
    let start = Date(timeIntervalSince1970: 1_000)

    @Test("a value is served until its expiry, then removed")
    func expiry() {
        let cache = ExpiringCache<String, Int>(capacity: 4)
        cache.insert(1, for: "a", expiresAt: start.addingTimeInterval(10), now: start)
        #expect(cache.value(for: "a", now: start.addingTimeInterval(9.9)) == 1)
        #expect(cache.value(for: "a", now: start.addingTimeInterval(10)) == nil)
        #expect(cache.count == 0)
        cache.insert(2, for: "b", expiresAt: start, now: start)
        #expect(cache.count == 0, "an already expired value is not stored")
    }

    @Test("insertIfAbsent is a first-use check; an expired entry counts as absent")
    func firstUse() {
        let cache = ExpiringCache<String, Bool>(capacity: 4)
        #expect(cache.insertIfAbsent(true, for: "jti", expiresAt: start.addingTimeInterval(10), now: start))
        #expect(!cache.insertIfAbsent(true, for: "jti", expiresAt: start.addingTimeInterval(10), now: start.addingTimeInterval(5)))
        #expect(cache.insertIfAbsent(true, for: "jti", expiresAt: start.addingTimeInterval(30), now: start.addingTimeInterval(10)))
    }

    @Test("a full cache sweeps the expired, then drops those closest to expiry down to seven eighths")
    func bounded() {
        let cache = ExpiringCache<Int, Int>(capacity: 16)
        for index in 0..<16 { cache.insert(index, for: index, expiresAt: start.addingTimeInterval(Double(100 + index)), now: start) }
        cache.insert(99, for: 99, expiresAt: start.addingTimeInterval(500), now: start)
        #expect(cache.count == 15)
        #expect(cache.value(for: 0, now: start) == nil && cache.value(for: 1, now: start) == nil)
        #expect(cache.value(for: 15, now: start) == 15 && cache.value(for: 99, now: start) == 99)
        // Expired entries go first, however close to expiry the others are.
        let later = start.addingTimeInterval(108)
        for index in 100..<110 { cache.insert(index, for: index, expiresAt: later.addingTimeInterval(1), now: later) }
        #expect(cache.count <= 16)
        #expect(cache.value(for: 99, now: later) == 99)
    }

    @Test("capacity 0 keeps nothing")
    func disabled() {
        let cache = ExpiringCache<String, Int>(capacity: 0)
        cache.insert(1, for: "a", expiresAt: start.addingTimeInterval(10), now: start)
        #expect(cache.count == 0)
    }
}
