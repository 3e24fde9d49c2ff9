import Foundation
import KubeClient
import Multicluster
import Synchronization
import Testing
import VZAuthTestSupport

@Suite("Who may use a cluster: SubjectAccessReview, cache and single flight")
struct ClusterAccessCheckTests {
    static let managed1 = ClusterName("managed1")!
    static let alice = AccessSubject(user: "alice", groups: ["team", "system:authenticated"])
    static let directory = ClusterDirectory(
        clusters: [VerrazzanoManagedCluster(name: "managed1", apiUrl: "https://m1.example.com")], secrets: [])

    /// A reviewer that counts reviews and answers with `decide`, optionally after a delay.
    final class CountingReviewer: Sendable {
        let reviews = Mutex<[SubjectAccessReview]>([])
        let decide: @Sendable (SubjectAccessReview) throws -> Bool
        let delay: Duration

        init(delay: Duration = .zero, decide: @escaping @Sendable (SubjectAccessReview) throws -> Bool = { _ in true }) {
            self.delay = delay
            self.decide = decide
        }

        var count: Int { self.reviews.withLock { $0.count } }

        func review(_ review: SubjectAccessReview) async throws -> SubjectAccessReview.Status {
            self.reviews.withLock { $0.append(review) }
            if self.delay > .zero { try await Task.sleep(for: self.delay) }
            return SubjectAccessReview.Status(allowed: try self.decide(review))
        }
    }

    /// A clock tests move by hand.
    final class TestClock: Sendable {
        let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        var now: Date { self.current.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { self.current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }

    @Test("the review body asks whether the user may get the VMC in the namespace")
    func body() throws {
        let review = SubjectAccessReview.clusterAccess(
            AccessSubject(user: "alice", uid: "u-1", groups: ["b", "a", "b"]), cluster: Self.managed1, namespace: "verrazzano-mc")
        let text = String(decoding: try review.encodedBody(), as: UTF8.self)
        #expect(text == #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"groups":["a","b"],"resourceAttributes":{"group":"clusters.verrazzano.io","name":"managed1","namespace":"verrazzano-mc","resource":"verrazzanomanagedclusters","verb":"get","version":"v1alpha1"},"uid":"u-1","user":"alice"}}"#)
        #expect(SubjectAccessReview.path == "/apis/authorization.k8s.io/v1/subjectaccessreviews")
    }

    @Test("the answer is read from status.allowed; anything else is not allowed", arguments: [
        (#"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"a","groups":[],"resourceAttributes":{"verb":"get","group":"","resource":"x"}},"status":{"allowed":true,"reason":"RBAC: allowed by RoleBinding"}}"#, true),
        (#"{"spec":{"user":"a","groups":[],"resourceAttributes":{"verb":"get","group":"","resource":"x"}},"status":{"allowed":false,"denied":true}}"#, false),
        (#"{"spec":{"user":"a","groups":[],"resourceAttributes":{"verb":"get","group":"","resource":"x"}},"status":{"evaluationError":"boom"}}"#, false),
        (#"{"spec":{"user":"a","groups":[],"resourceAttributes":{"verb":"get","group":"","resource":"x"}},"status":{}}"#, false),
    ])
    func answer(_ json: String, _ allowed: Bool) throws {
        #expect(try SubjectAccessReview.status(fromResponse: Array(json.utf8)).allowed == allowed)
    }

    @Test("a response without status or not a review is an error", arguments: [
        #"{"spec":{"user":"a","groups":[],"resourceAttributes":{"verb":"get","group":"","resource":"x"}}}"#, "[]", "", "{",
    ])
    func badAnswer(_ json: String) {
        #expect(throws: (any Error).self) { try SubjectAccessReview.status(fromResponse: Array(json.utf8)) }
    }

    @Test("allowed, forbidden and no such cluster map to 200, 403 and 404 naming the cluster")
    func decisions() async throws {
        let reviewer = CountingReviewer { $0.spec.user == "alice" }
        let check = ClusterAccessCheck(review: reviewer.review)
        let allowed = try await check.decide(Self.alice, cluster: Self.managed1, directory: Self.directory)
        #expect(allowed == .allowed(Self.managed1))
        #expect(allowed.httpStatus == 200)
        #expect(allowed.refusal == nil)

        let bob = AccessSubject(user: "bob", groups: [])
        let forbidden = try await check.decide(bob, cluster: Self.managed1, directory: Self.directory)
        #expect(forbidden == .forbidden(Self.managed1))
        #expect(forbidden.refusal?.httpStatus == 403)
        #expect(forbidden.refusal?.reason == "Forbidden")
        #expect(forbidden.refusal?.message == "access to cluster \"managed1\" is forbidden")

        let unknown = ClusterName("managed9")!
        let missing = try await check.decide(Self.alice, cluster: unknown, directory: Self.directory)
        #expect(missing == .noSuchCluster(unknown))
        #expect(missing.refusal?.httpStatus == 404)
        #expect(missing.refusal?.reason == "NotFound")
        #expect(missing.refusal?.message == "cluster \"managed9\" not found")

        let forbiddenUnknown = try await check.decide(bob, cluster: unknown, directory: Self.directory)
        #expect(forbiddenUnknown == .forbidden(unknown), "a forbidden user cannot learn which clusters exist")
    }

    @Test("decisions are cached per user, UID, groups (in any order) and cluster, for at most 10 s")
    func caching() async throws {
        let clock = TestClock()
        let reviewer = CountingReviewer()
        let check = ClusterAccessCheck(cacheDuration: .seconds(60), now: { clock.now }, review: reviewer.review)
        #expect(check.cacheDuration == .seconds(10))
        _ = try await check.isAllowed(Self.alice, cluster: Self.managed1)
        _ = try await check.isAllowed(AccessSubject(user: "alice", groups: ["system:authenticated", "team", "team"]),
                                      cluster: Self.managed1)
        #expect(reviewer.count == 1)
        _ = try await check.isAllowed(AccessSubject(user: "alice", groups: ["team"]), cluster: Self.managed1)
        _ = try await check.isAllowed(AccessSubject(user: "alice", uid: "x", groups: ["team", "system:authenticated"]),
                                      cluster: Self.managed1)
        _ = try await check.isAllowed(Self.alice, cluster: ClusterName("managed2")!)
        #expect(reviewer.count == 4)
        clock.advance(9.9)
        _ = try await check.isAllowed(Self.alice, cluster: Self.managed1)
        #expect(reviewer.count == 4)
        clock.advance(0.1)
        _ = try await check.isAllowed(Self.alice, cluster: Self.managed1)
        #expect(reviewer.count == 5, "after 10 s the decision is asked again")
    }

    @Test("a revoked permission takes effect when the decision expires")
    func revocation() async throws {
        let clock = TestClock()
        let permitted = Mutex(true)
        let reviewer = CountingReviewer { _ in permitted.withLock { $0 } }
        let check = ClusterAccessCheck(now: { clock.now }, review: reviewer.review)
        #expect(try await check.isAllowed(Self.alice, cluster: Self.managed1))
        permitted.withLock { $0 = false }
        #expect(try await check.isAllowed(Self.alice, cluster: Self.managed1), "cached")
        clock.advance(10)
        #expect(try await !check.isAllowed(Self.alice, cluster: Self.managed1))
    }

    @Test("a zero cache duration asks every time")
    func noCache() async throws {
        let reviewer = CountingReviewer()
        let check = ClusterAccessCheck(cacheDuration: .zero, review: reviewer.review)
        for _ in 0..<3 { _ = try await check.isAllowed(Self.alice, cluster: Self.managed1) }
        #expect(reviewer.count == 3)
    }

    @Test("1,000 concurrent checks of one key share one review")
    func singleFlight() async throws {
        let reviewer = CountingReviewer(delay: .milliseconds(50))
        let check = ClusterAccessCheck(review: reviewer.review)
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<1000 { group.addTask { try await check.isAllowed(Self.alice, cluster: Self.managed1) } }
            var results: [Bool] = []
            for try await result in group { results.append(result) }
            return results
        }
        #expect(results.count == 1000 && results.allSatisfy { $0 })
        #expect(reviewer.count == 1)
    }

    struct ReviewFailure: Error {}

    @Test("a failed review is shared by those waiting, not cached, and answered 503 naming the cluster")
    func failures() async throws {
        let failing = Mutex(true)
        let reviewer = CountingReviewer(delay: .milliseconds(50)) { _ in
            if failing.withLock({ $0 }) { throw ReviewFailure() }
            return true
        }
        let check = ClusterAccessCheck(review: reviewer.review)
        let failures = await withTaskGroup(of: ClusterAccessError?.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    do throws(ClusterAccessError) {
                        _ = try await check.isAllowed(Self.alice, cluster: Self.managed1)
                        return nil
                    } catch {
                        return error
                    }
                }
            }
            var failures: [ClusterAccessError] = []
            for await failure in group { if let failure { failures.append(failure) } }
            return failures
        }
        #expect(failures.count == 20)
        #expect(reviewer.count == 1)
        #expect(failures.first?.httpStatus == 503)
        #expect(failures.first?.message == "cannot check access to cluster \"managed1\" now; try again")
        failing.withLock { $0 = false }
        #expect(try await check.isAllowed(Self.alice, cluster: Self.managed1))
        #expect(reviewer.count == 2)
    }

    @Test("when the check making the review is cancelled, a waiting check asks again")
    func leaderCancelled() async throws {
        // The first review hangs until its task is cancelled; later ones answer at once.
        let calls = Mutex(0)
        let check = ClusterAccessCheck { _ in
            let call = calls.withLock { calls -> Int in
                calls += 1
                return calls
            }
            if call == 1 { try await Task.sleep(for: .seconds(600)) }
            return SubjectAccessReview.Status(allowed: true)
        }
        let leader = Task { try await check.isAllowed(Self.alice, cluster: Self.managed1) }
        await eventually("the first review starts") { calls.withLock { $0 } == 1 }
        // Whether the follower joins the hanging review or starts after it ended, it gets an answer.
        let follower = Task { try await check.isAllowed(Self.alice, cluster: Self.managed1) }
        try await Task.sleep(for: .milliseconds(50))
        leader.cancel()
        await #expect(throws: ClusterAccessError.self) { _ = try await leader.value }
        #expect(try await follower.value)
        #expect(calls.withLock { $0 } == 2)
    }

    @Test("against the API server double: the proxy's credential asks, the rule decides, 1,000 checks make at most 2 reviews")
    func againstDouble() async throws {
        try await MulticlusterDouble.with { double in
            let proxyUser = double.server.configuration.tokenUser.name
            double.server.setAuthorization(.custom { access in
                if access.user.name == proxyUser { return access.resource == "subjectaccessreviews" && access.verb == "create" }
                return access.user.name == "alice" && access.user.groups.contains("team") && access.verb == "get"
                    && access.group == "clusters.verrazzano.io" && access.resource == "verrazzanomanagedclusters"
                    && access.namespace == "verrazzano-mc" && access.name == "managed1"
            })
            let check = ClusterAccessCheck(client: double.client)
            double.server.clearRequests()

            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<1000 {
                    group.addTask {
                        let allowed = try await check.isAllowed(Self.alice, cluster: Self.managed1)
                        #expect(allowed)
                    }
                    if index % 100 == 99 { try await group.waitForAll() }
                }
                try await group.waitForAll()
            }
            let reviews = double.server.requests.filter { $0.path == SubjectAccessReview.path }
            #expect(reviews.count >= 1 && reviews.count <= 2)
            let review = try #require(reviews.first)
            #expect(review.method == "POST")
            #expect(review.header("Authorization") == "Bearer \(double.server.configuration.token)")
            #expect(review.headerValues("Impersonate-User").isEmpty, "the review is made as the proxy, not as the user")
            #expect(review.bodyText.contains(#""user":"alice""#))

            #expect(try await !check.isAllowed(AccessSubject(user: "alice", groups: []), cluster: Self.managed1))
            #expect(try await !check.isAllowed(Self.alice, cluster: ClusterName("managed2")!))
            #expect(try await !check.isAllowed(AccessSubject(user: "mallory", groups: ["team"]), cluster: Self.managed1))
        }
    }

    @Test("a proxy not allowed to create reviews gets 503, not a decision")
    func proxyNotAllowed() async throws {
        try await MulticlusterDouble.with { double in
            double.server.setAuthorization(.custom { _ in false })
            let check = ClusterAccessCheck(client: double.client)
            let error = await #expect(throws: ClusterAccessError.self) {
                _ = try await check.isAllowed(Self.alice, cluster: Self.managed1)
            }
            #expect(error?.httpStatus == 503)
            #expect(error?.detail.contains("403") == true)
        }
    }
}
