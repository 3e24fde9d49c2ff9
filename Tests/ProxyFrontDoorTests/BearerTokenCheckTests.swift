import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import OIDC
import ProxyCore
import ProxyFrontDoor
import Synchronization
import Testing

// Deferred work runs in a task: tests await it rather than block a thread of the cooperative pool with `wait()`
// (two blocked tests on a 2-core machine would leave the task no thread to run on).

/// `good` is alice at once; `slow` is alice only after a key refetch; `gone` needs a refetch and is then refused;
/// anything else is refused at once. Counts the asynchronous checks.
private final class FakeAuthenticator: BearerTokenAuthenticator {
    static let alice = Identity(username: "alice", groups: ["team-a"], roles: [], expiresAt: .distantFuture, subject: "a1")
    let asynchronousChecks = Mutex(0)

    func authenticateWithCurrentKeys(_ token: String) -> TokenVerificationOutcome {
        switch token {
        case "good": .authenticated(Self.alice)
        case "slow", "gone": .needsKeyRefresh
        default: .rejected(.badSignature)
        }
    }

    func authenticate(_ token: String) async throws(OIDCError) -> Identity {
        asynchronousChecks.withLock { $0 += 1 }
        guard token == "slow" else { throw .unknownKey }
        return Self.alice
    }
}

@Suite("Front door: the bearer token check")
struct BearerTokenCheckTests {
    private let authenticator = FakeAuthenticator()
    private let loop = MultiThreadedEventLoopGroup.singleton.any()

    @Test("a token the keys at hand decide is decided at once, without the asynchronous check")
    func decidedAtOnce() throws {
        guard case .decided(.success(let identity)) = authenticator.check("good") else {
            Issue.record("expected an immediate success")
            return
        }
        #expect(identity == FakeAuthenticator.alice)
        guard case .decided(.failure(let error)) = authenticator.check("forged") else {
            Issue.record("expected an immediate refusal")
            return
        }
        #expect(error == .badSignature)
        #expect(authenticator.asynchronousChecks.withLock { $0 } == 0)
    }

    @Test("a token that needs a key refetch is deferred and decided by the asynchronous check", arguments: [
        ("slow", Result<Identity, OIDCError>.success(FakeAuthenticator.alice)), ("gone", .failure(.unknownKey)),
    ])
    func deferred(_ token: String, _ expected: Result<Identity, OIDCError>) async throws {
        guard case .deferred(let work) = authenticator.check(token) else {
            Issue.record("expected a deferred check")
            return
        }
        #expect(authenticator.asynchronousChecks.withLock { $0 } == 0, "nothing runs before the forwarder starts it")
        let result = try await work.start(on: loop).get()
        #expect(result == expected)
        #expect(authenticator.asynchronousChecks.withLock { $0 } == 1)
    }

    /// The policy's side, as both proxies write it.
    private func outcome(_ token: String, _ decide: @escaping @Sendable (Result<Identity, OIDCError>) -> ProxyDecision) -> PolicyOutcome {
        switch authenticator.check(token) {
        case .decided(let result): .immediate(decide(result))
        case .deferred(let check): .deferred(check.deciding(decide))
        }
    }

    @Test("the policy's decision is made now, or on the event loop once the deferred check completes")
    func decisions() async throws {
        let decide: @Sendable (Result<Identity, OIDCError>) -> ProxyDecision = { result in
            switch result {
            case .success(let identity):
                .respond(LocalResponse(status: .ok, logUser: identity.username))
            case .failure(let error):
                .respond(.kubernetesStatus(ProxyRefusal(error)))
            }
        }
        guard case .immediate(.respond(let now)) = outcome("good", decide) else {
            Issue.record("expected an immediate decision")
            return
        }
        #expect(now.status == .ok && now.logUser == "alice")
        guard case .immediate(.respond(let refused)) = outcome("forged", decide) else {
            Issue.record("expected an immediate refusal")
            return
        }
        #expect(refused.status == .unauthorized && refused.refusalReason == "bad_signature")

        for (token, status) in [("slow", HTTPResponseStatus.ok), ("gone", .unauthorized)] {
            guard case .deferred(let work) = outcome(token, decide) else {
                Issue.record("expected a deferred decision for \(token)")
                return
            }
            let decision = try await work.start(on: loop).map { decision in
                // Delivered on the loop it was started on.
                (decision, loop.inEventLoop)
            }.get()
            guard case (.respond(let response), true) = decision else {
                Issue.record("expected a response on the event loop for \(token)")
                return
            }
            #expect(response.status == status)
        }
    }
}
