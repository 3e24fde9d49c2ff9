import Foundation
import Testing
import VZAuthTestSupport
@testable import vzauth

/// An API server that never answers, or stalls in the middle of a body, seen through the real API proxy with curl
/// and kubectl: what the client gets, how soon, and what the proxy does with the upstream connection.
@Suite("API proxy with an API server that does not answer", .serialized)
struct UpstreamFaultTests {
    /// The response header timeout the proxy runs with, in seconds: short, so the tests stay fast.
    private static let timeoutArguments = ["--upstream-response-header-timeout", "2"]
    private static let configMaps = "/api/v1/namespaces/default/configmaps"

    /// curl arguments for `path` on the proxy with a bearer token: head and body on standard output, unbuffered.
    private func curlArguments(_ harness: ProxyHarness, _ path: String, token: String) -> [String] {
        ["-sS", "-N", "-i", "--http1.1", "--cacert", harness.authority.certificateFile.path,
         "-H", "Authorization: Bearer \(token)", harness.proxyURL + path]
    }

    /// Waits until `condition` holds, at most `timeout`; returns whether it did.
    private func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    @Test("a response head that never comes: 504 Status with reason Timeout after --upstream-response-header-timeout, upstream connection closed")
    func noResponseHead() async throws {
        try await ProxyHarness.with(extraArguments: Self.timeoutArguments) { harness in
            let double = harness.apiServer
            double.injectNoResponse(count: 2) { $0.verb == "list" && $0.resource == "configmaps" }
            let token = harness.issuer.mint()

            let start = ContinuousClock.now
            let result = try await run("/usr/bin/curl", curlArguments(harness, Self.configMaps, token: token),
                                       timeout: .seconds(15))
            let elapsed = ContinuousClock.now - start
            #expect(result.status == 0, "\(result.stderr)")
            #expect(elapsed >= .milliseconds(1_900) && elapsed < .seconds(6), "answered after \(elapsed)")
            #expect(result.stdout.hasPrefix("HTTP/1.1 504"), "\(result.stdout)")
            let body = try #require(result.stdout.components(separatedBy: "\r\n\r\n").last)
            let status = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "\(body)")
            #expect(status["kind"] as? String == "Status")
            #expect(status["status"] as? String == "Failure")
            #expect(status["reason"] as? String == "Timeout")
            #expect(status["code"] as? Int == 504)
            #expect(status["message"] as? String == "the Kubernetes API server did not start a response within 2 s")
            // The request reached the API server (it was held there, not refused by the proxy), and the proxy
            // gave the connection up.
            #expect(double.requests.contains { $0.uri == Self.configMaps })

            // kubectl reports the API server's silence as a timeout, in time.
            let kubectlStart = ContinuousClock.now
            let listed = try await kubectl(try harness.kubeconfig(token: token), "get", "configmaps", "-n", "default")
            #expect(ContinuousClock.now - kubectlStart < .seconds(10))
            #expect(listed.status != 0)
            #expect(listed.stderr.contains("Error from server (Timeout): the Kubernetes API server did not start a response within 2 s"),
                    "\(listed.stderr)")

            // The proxy closed both upstream connections it gave up on (over TLS that takes up to 5 s: its
            // close_notify is not answered by a server that reads nothing more, as this one).
            #expect(await eventually { double.closedHeldResponseCount == 2 && double.heldResponseCount == 0 },
                    "held \(double.heldResponseCount), closed \(double.closedHeldResponseCount)")
        }
    }

    @Test("a watch whose head comes at once is not cut by --upstream-response-header-timeout: it delivers events long after it")
    func watchOutlivesTheTimeout() async throws {
        try await ProxyHarness.with(extraArguments: Self.timeoutArguments) { harness in
            let double = harness.apiServer
            // -v: curl's trace (on standard error, unbuffered) shows the head as it arrives, before any body.
            let watch = try BackgroundCommand("/usr/bin/curl", ["-v"] + curlArguments(harness, Self.configMaps + "?watch=true",
                                                                                    token: harness.issuer.mint()))
            defer { watch.stop(grace: .zero) }
            #expect(await eventually { double.activeWatchCount == 1 }, "\(watch.text)")
            #expect(await watch.waitFor(timeout: .seconds(5)) { $0.contains("< HTTP/1.1 200") }, "\(watch.text)")
            try await Task.sleep(for: .seconds(3))
            #expect(watch.isRunning, "the watch must outlive the response header timeout: \(watch.text)")
            try double.upsert(["metadata": ["name": "after-the-timeout"], "data": ["a": "b"]],
                              resource: "configmaps", namespace: "default")
            #expect(await watch.waitFor(timeout: .seconds(5)) { $0.contains(#""type":"ADDED""#) && $0.contains("after-the-timeout") },
                    "\(watch.text)")
            #expect(!watch.text.contains("< HTTP/1.1 504"), "\(watch.text)")
            #expect(watch.isRunning)
            #expect(double.activeWatchCount == 1)
        }
    }

    @Test("a stalled body: the client gets the head and the partial body, the proxy keeps serving, and the client's close closes the upstream connection",
          arguments: [nil, 4096] as [Int?])
    func stalledBody(contentLength: Int?) async throws {
        try await ProxyHarness.with(extraArguments: Self.timeoutArguments) { harness in
            let double = harness.apiServer
            let partial = #"{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"101"},"items":[{"metadata":{"name":"first""#
            double.injectStalledBody(partialBody: partial, contentLength: contentLength) {
                $0.verb == "list" && $0.resource == "configmaps"
            }
            let token = harness.issuer.mint()
            let stalled = try BackgroundCommand("/usr/bin/curl", curlArguments(harness, Self.configMaps, token: token))
            defer { stalled.stop(grace: .zero) }
            #expect(await stalled.waitFor(timeout: .seconds(5)) { $0.hasSuffix(partial) }, "\(stalled.text)")
            let text = stalled.text
            #expect(text.hasPrefix("HTTP/1.1 200"), "\(text)")
            let head = text.components(separatedBy: "\r\n\r\n").first ?? ""
            #expect(head.lowercased().contains("content-type: application/json"), "\(head)")
            if let contentLength {
                #expect(head.lowercased().contains("content-length: \(contentLength)"), "\(head)")
            } else {
                #expect(head.lowercased().contains("transfer-encoding: chunked"), "\(head)")
            }

            // Meanwhile the proxy serves others, and the stall outlives the response header timeout (a body may
            // pause as long as it likes).
            let config = try harness.kubeconfig(token: token)
            let other = try await kubectl(config, "get", "namespaces", "-o", "name")
            #expect(other.status == 0, "\(other.stderr)")
            #expect(other.stdout.contains("namespace/kube-system"), "\(other.stdout)")
            try await Task.sleep(for: .milliseconds(2_500))
            #expect(stalled.isRunning, "\(stalled.text)")
            #expect(stalled.text == text, "nothing more arrives")
            #expect(double.heldResponseCount == 1)
            #expect(double.closedHeldResponseCount == 0)

            // The client goes away: the proxy closes the upstream connection too (over TLS within 5 s, see above).
            stalled.stop(grace: .zero)
            #expect(await eventually { double.closedHeldResponseCount == 1 && double.heldResponseCount == 0 },
                    "held \(double.heldResponseCount), closed \(double.closedHeldResponseCount)")
            let after = try await kubectl(config, "get", "namespaces", "-o", "name")
            #expect(after.status == 0, "\(after.stderr)")
        }
    }
}
