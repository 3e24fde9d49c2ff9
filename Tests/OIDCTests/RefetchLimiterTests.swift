@testable import OIDC
import Testing

@Suite("Unknown-kid refetch limiter (state machine)")
struct RefetchLimiterTests {
    let start = ContinuousClock.now

    @Test("first request fetches; requests during the fetch wait and share its result")
    func sharing() {
        var limiter = RefetchLimiter<Int>(interval: .seconds(10))
        #expect(limiter.request(now: self.start) == .fetch)
        #expect(limiter.request(now: self.start + .milliseconds(5)) == .wait)
        #expect(limiter.enqueue(1) == nil)
        #expect(limiter.enqueue(2) == nil)
        #expect(limiter.finish(succeeded: true) == [1, 2])
        #expect(limiter.lastResult)
    }

    @Test("within the interval after a fetch started, requests are refused; after it, a new fetch starts")
    func window() {
        var limiter = RefetchLimiter<Int>(interval: .seconds(10))
        #expect(limiter.request(now: self.start) == .fetch)
        #expect(limiter.finish(succeeded: false).isEmpty)
        #expect(limiter.request(now: self.start + .seconds(9)) == .refuse)
        #expect(limiter.request(now: self.start + .seconds(10)) == .fetch)
    }

    @Test("a waiter that registers after the fetch finished gets the result at once")
    func lateWaiter() {
        var limiter = RefetchLimiter<Int>(interval: .seconds(10))
        #expect(limiter.request(now: self.start) == .fetch)
        #expect(limiter.request(now: self.start) == .wait)
        _ = limiter.finish(succeeded: true)
        #expect(limiter.enqueue(3) == true)
    }
}
