import Foundation
import KubeLogin
import OIDC
import Synchronization
import Testing

/// A clock that advances only when the poller sleeps: no real waiting.
final class FakeClock: Sendable {
    private let state: Mutex<(now: Date, sleeps: [TimeInterval])>

    init(_ start: Date) {
        self.state = Mutex((start, []))
    }

    var now: Date { self.state.withLock { $0.now } }
    var sleeps: [TimeInterval] { self.state.withLock { $0.sleeps } }

    func sleep(_ seconds: TimeInterval) {
        self.state.withLock {
            $0.sleeps.append(seconds)
            $0.now = $0.now.addingTimeInterval(seconds)
        }
    }
}

/// Token endpoint answers played in order.
final class ScriptedPolls: Sendable {
    private let answers: Mutex<[Result<OIDCTokenResponse, OIDCTokenEndpointError>]>

    init(_ answers: [Result<OIDCTokenResponse, OIDCTokenEndpointError>]) {
        self.answers = Mutex(answers)
    }

    func next() throws(OIDCTokenEndpointError) -> OIDCTokenResponse {
        let answer = self.answers.withLock { $0.isEmpty ? .failure(.authorizationPending) : $0.removeFirst() }
        return try answer.get()
    }
}

@Suite("device grant polling (RFC 8628)")
struct DeviceGrantPollingTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let tokens = OIDCTokenResponse(accessToken: "a", receivedAt: start)

    static func run(interval: TimeInterval = 5, lifetime: TimeInterval = 600,
                    _ answers: [Result<OIDCTokenResponse, OIDCTokenEndpointError>]) async -> (Result<OIDCTokenResponse, KubeLoginError>, [TimeInterval]) {
        let clock = FakeClock(start)
        let polls = ScriptedPolls(answers)
        let result: Result<OIDCTokenResponse, KubeLoginError>
        do {
            result = .success(try await DeviceGrantPoller.run(
                DeviceGrantPolling(interval: interval, expiresAt: start.addingTimeInterval(lifetime)),
                now: { clock.now },
                sleep: { clock.sleep($0) },
                poll: { () throws(OIDCTokenEndpointError) -> OIDCTokenResponse in try polls.next() }))
        } catch {
            result = .failure(error)
        }
        return (result, clock.sleeps)
    }

    @Test("pending answers are polled again after the interval; slow_down adds 5 seconds for good")
    func pendingAndSlowDown() async {
        let (result, sleeps) = await Self.run([
            .failure(.authorizationPending), .failure(.slowDown), .failure(.authorizationPending), .success(Self.tokens),
        ])
        #expect((try? result.get()) == Self.tokens)
        #expect(sleeps == [5, 5, 10, 10])
    }

    @Test("expired_token, access_denied and other errors end the polling with a message", arguments: [
        (OIDCTokenEndpointError.expiredToken, "expired"),
        (OIDCTokenEndpointError.accessDenied, "denied"),
        (OIDCTokenEndpointError.invalidGrant, "failed"),
        (OIDCTokenEndpointError.serverError, "failed"),
    ])
    func terminal(error: OIDCTokenEndpointError, word: String) async {
        let (result, sleeps) = await Self.run([.failure(.authorizationPending), .failure(error)])
        guard case .failure(let failure) = result else {
            Issue.record("polling succeeded")
            return
        }
        #expect(failure.message.contains(word), "\(failure.message)")
        #expect(sleeps == [5, 5])
    }

    @Test("polling stops when the next poll would come after the device code expired")
    func expiry() async {
        let (result, sleeps) = await Self.run(interval: 5, lifetime: 22, [])
        guard case .failure(let failure) = result else {
            Issue.record("polling succeeded")
            return
        }
        #expect(failure.message.contains("expired"))
        #expect(sleeps == [5, 5, 5, 5])
    }

    @Test("the state machine: the interval is at least 1 second, and a poll is never scheduled past the expiry")
    func stateMachine() {
        var polling = DeviceGrantPolling(interval: 0, expiresAt: Self.start.addingTimeInterval(10))
        #expect(polling.interval == 1)
        #expect(polling.start(now: Self.start) == .poll(after: 1))
        #expect(polling.next(after: .slowDown, now: Self.start) == .poll(after: 6))
        guard case .failed = polling.next(after: .pending, now: Self.start.addingTimeInterval(4)) else {
            Issue.record("a poll was scheduled past the expiry")
            return
        }
        #expect(polling.next(after: .tokens(Self.tokens), now: Self.start) == .finished(Self.tokens))
        #expect(DeviceGrantPolling.Answer(.slowDown) == .slowDown)
        #expect(DeviceGrantPolling.Answer(.authorizationPending) == .pending)
        #expect(DeviceGrantPolling.Answer(.expiredToken) == .expired)
        #expect(DeviceGrantPolling.Answer(.accessDenied) == .denied)
    }
}
