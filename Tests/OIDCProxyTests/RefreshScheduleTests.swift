import Foundation
import Testing
@testable import OIDCProxy

@Suite("Refresh schedule")
struct RefreshScheduleTests {
    let schedule = RefreshSchedule()
    let issuedAt = TestFixtures.now

    @Test("margin = min(30 s, lifetime / 10)", arguments: [
        (3_600.0, 30.0), (300.0, 30.0), (299.0, 29.9), (60.0, 6.0), (5.0, 0.5), (1.0, 0.1), (0.0, 0.0), (-10.0, 0.0),
    ])
    func margins(lifetime: TimeInterval, margin: TimeInterval) {
        #expect(abs(schedule.margin(forLifetime: lifetime) - margin) < 1e-9)
    }

    @Test("decision table", arguments: [
        // lifetime, seconds after issue, decision
        (300.0, 0.0, RefreshSchedule.Decision.fresh),
        (300.0, 269.0, .fresh),
        (300.0, 270.0, .refreshNow),
        (300.0, 299.9, .refreshNow),
        (300.0, 300.0, .expired),
        (300.0, 10_000.0, .expired),
        (60.0, 53.9, .fresh),
        (60.0, 54.0, .refreshNow),
        (60.0, 60.0, .expired),
        (5.0, 1.0, .fresh),
        (5.0, 4.4, .fresh),
        (5.0, 4.5, .refreshNow),
        (5.0, 5.0, .expired),
        (0.0, 0.0, .expired),
        (300.0, -5.0, .fresh),  // a clock slightly behind the issue time
    ])
    func decisions(lifetime: TimeInterval, elapsed: TimeInterval, expected: RefreshSchedule.Decision) {
        let now = issuedAt.addingTimeInterval(elapsed)
        #expect(schedule.decision(issuedAt: issuedAt, lifetime: lifetime, now: now) == expected)
        #expect(schedule.decision(issuedAt: issuedAt, expiresAt: issuedAt.addingTimeInterval(lifetime), now: now) == expected)
    }

    @Test("a one-minute token is not refreshed on every request")
    func shortTokensAreNotRefreshedConstantly() {
        let fresh = stride(from: 0.0, to: 60.0, by: 0.5).filter {
            schedule.decision(issuedAt: issuedAt, lifetime: 60, now: issuedAt.addingTimeInterval($0)) == .fresh
        }
        #expect(fresh.count == 108)  // 0 ... 53.5 s: 90 % of the lifetime
    }

    @Test("custom and out-of-range parameters")
    func parameters() {
        let custom = RefreshSchedule(maximumMargin: 60, lifetimeFraction: 0.5)
        #expect(custom.margin(forLifetime: 100) == 50)
        #expect(custom.margin(forLifetime: 1_000) == 60)
        let clamped = RefreshSchedule(maximumMargin: -1, lifetimeFraction: .nan)
        #expect(clamped.margin(forLifetime: 100) == 0)
        #expect(RefreshSchedule(lifetimeFraction: 7).lifetimeFraction == 1)
    }

    @Test("the session payload asks the schedule")
    func fromSession() {
        let session = TestFixtures.session()
        #expect(session.refreshDecision(now: TestFixtures.now) == .fresh)
        #expect(session.refreshDecision(now: TestFixtures.now.addingTimeInterval(280)) == .refreshNow)
        #expect(session.refreshDecision(now: TestFixtures.now.addingTimeInterval(300)) == .expired)
    }
}
