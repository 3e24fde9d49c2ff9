import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle
import Testing
@testable import ProxyCore
import VZAuthTestSupport

/// Forwards everything to one upstream, refusing `/deny...` locally and adding a response header.
private struct PassThroughPolicy: RequestPolicy {
    let upstream: UpstreamEndpoint

    func decide(_ received: RequestHead, connection: ConnectionInfo) -> PolicyOutcome {
        let head = received.httpRequestHead
        if head.uri.hasPrefix("/deny") {
            return .immediate(.respond(LocalResponse(status: .forbidden, body: ByteBuffer(string: "denied"), refusalReason: "test")))
        }
        if head.uri.hasPrefix("/slow") {
            var forwarded = head
            forwarded.uri = "/echo"
            let plan = ForwardPlan(upstream: upstream, head: forwarded)
            return .deferred(.task {
                try await Task.sleep(for: .milliseconds(50))
                return ProxyDecision.forward(plan)
            })
        }
        if head.uri.hasPrefix("/local-body") {
            // Answers with the body's length and its first bytes, from at most 64 KiB.
            return .immediate(.respondAfterBody(BodyReader(
                maximumBytes: 65_536, tooLarge: LocalResponse(status: .payloadTooLarge, body: ByteBuffer(string: "too large"))) { body in
                    LocalResponse(status: .ok, body: ByteBuffer(string: "read \(body.readableBytes): \(String(buffer: body).prefix(5))"))
                }))
        }
        if head.uri.hasPrefix("/cookies") {
            return .immediate(.forward(ForwardPlan(
                upstream: upstream, head: head, responseHeaders: ["X-Proxied": "yes"],
                appendedResponseHeaders: HTTPHeaders([("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; Path=/")]))))
        }
        return .immediate(.forward(ForwardPlan(upstream: upstream, head: head, responseHeaders: ["X-Proxied": "yes"])))
    }

    func upstreamFailureResponse(_ error: any Error, for head: RequestHead) -> LocalResponse {
        LocalResponse(status: error is UpstreamConnectFailure ? .serviceUnavailable : .badGateway)
    }
}

/// Runs a forwarding server in front of a test upstream for the duration of `body`.
func withProxy(upstreamPort: Int? = nil, idleTimeout: TimeAmount = .seconds(120), responseHeadTimeout: TimeAmount = .seconds(60), _ body: (_ proxyPort: Int, _ upstream: TestUpstream, _ group: any EventLoopGroup) async throws -> Void) async throws {
    try await withProxyServices(upstreamPort: upstreamPort, timeouts: ForwardingTimeouts(idle: idleTimeout, responseHead: responseHeadTimeout)) {
        port, upstream, group, _ in try await body(port, upstream, group)
    }
}

/// ``withProxy`` with the service group, so that `body` can start the graceful shutdown itself.
func withProxyServices(upstreamPort: Int? = nil, timeouts: ForwardingTimeouts = .init(), gracePeriod: Duration = .seconds(1),
                       maximumConnections: Int? = nil,
                       _ body: (_ proxyPort: Int, _ upstream: TestUpstream, _ group: any EventLoopGroup, _ services: ServiceGroup) async throws -> Void) async throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    let upstream = try await TestUpstream(group: group)
    let endpoint = UpstreamEndpoint(host: "127.0.0.1", port: upstreamPort ?? upstream.port, tlsContext: nil)
    let metrics = ProxyMetrics(registry: PrometheusCollectorRegistry(), prefix: "test")
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    let server = ForwardingServer(
        listener: ListenerConfiguration(host: "127.0.0.1", port: 0, maximumConnections: maximumConnections), group: group,
        tls: nil, policy: PassThroughPolicy(upstream: endpoint), metrics: metrics, accessLog: AccessLog(logger: logger),
        logger: logger, gracePeriod: gracePeriod, timeouts: timeouts)
    let services = ServiceGroup(services: [server], logger: logger)
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await services.run() }
        let port = try await server.localAddress.port!
        do {
            try await body(port, upstream, group, services)
        } catch {
            await services.triggerGracefulShutdown()
            throw error
        }
        await services.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
    await upstream.shutdown()
    try await group.shutdownGracefully()
}

@Suite("Forwarding server")
struct ForwardingServerTests {
    @Test("forwards method, path, query and body, and strips hop-by-hop headers both ways")
    func forwardsRequests() async throws {
        try await withProxy { port, upstream, _ in
            let client = HTTPClient.shared
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/echo/a?b=c&d=%20e")
            request.method = .POST
            request.headers.add(name: "Keep-Alive", value: "timeout=5")
            request.headers.add(name: "X-Custom", value: "kept")
            request.headers.add(name: "X-Private", value: "dropped")
            request.headers.add(name: "Connection", value: "X-Private")
            request.body = .bytes(ByteBuffer(string: "payload"))
            let response = try await client.execute(request, timeout: .seconds(5))
            #expect(response.status == .ok)
            #expect(response.headers["x-echo-uri"] == ["/echo/a?b=c&d=%20e"])
            #expect(response.headers["x-echo-method"] == ["POST"])
            #expect(response.headers["X-Proxied"] == ["yes"])
            #expect(response.headers["X-Hop"].isEmpty)
            let body = try await response.body.collect(upTo: 1024)
            #expect(String(buffer: body) == "payload")
            let head = try #require(upstream.heads.last)
            #expect(head.headers["X-Custom"] == ["kept"])
            #expect(head.headers["X-Private"].isEmpty)
            #expect(head.headers["Keep-Alive"].isEmpty)
            #expect(head.headers["Host"] == ["127.0.0.1:\(upstream.port)"])
        }
    }

    @Test("streams a large request body and response without corrupting it")
    func largeBodies() async throws {
        try await withProxy { port, _, _ in
            let client = HTTPClient.shared
            var bytes = [UInt8](repeating: 0, count: 8 * 1024 * 1024)
            for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 31 &+ index >> 11) }
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/echo")
            request.method = .PUT
            request.body = .bytes(ByteBuffer(bytes: bytes))
            let response = try await client.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 16 * 1024 * 1024)
            #expect(body.readableBytes == bytes.count)
            #expect(Array(body.readableBytesView) == bytes)
        }
    }

    @Test("delivers streamed response chunks as they happen")
    func streaming() async throws {
        try await withProxy { port, _, group in
            let connection = try await RawConnection(group: group, port: port)
            // Pauses long enough that a loaded machine still sees the first line before the last.
            try await connection.send("GET /stream?count=3&delayMs=1000 HTTP/1.1\r\nHost: x\r\n\r\n")
            let all = await connection.waitFor(timeout: .seconds(15)) { $0.contains("0\r\n\r\n") }
            #expect(all.contains("line 2"))
            // When each line arrived, as the event loop read it (a poll from the test's task may run late on a
            // loaded machine): the upstream pauses 1 s between lines, so streamed lines arrive about 2 s apart.
            let first = try #require(connection.arrivalTime(of: "line 0"))
            let last = try #require(connection.arrivalTime(of: "line 2"))
            #expect(last - first > .milliseconds(1500), "the first line must arrive before the stream ends: \(last - first)")
            await connection.close()
        }
    }

    @Test("reuses upstream connections for sequential requests")
    func keepAlive() async throws {
        try await withProxy { port, upstream, _ in
            let client = HTTPClient.shared
            for _ in 0..<20 {
                let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/echo"), timeout: .seconds(5))
                _ = try await response.body.collect(upTo: 1024)
            }
            #expect(upstream.connections <= 2)
        }
    }

    @Test("answers refused requests locally and drains their body")
    func localResponses() async throws {
        try await withProxy { port, upstream, group in
            let connection = try await RawConnection(group: group, port: port)
            try await connection.send("POST /deny HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
            let text = await connection.waitFor { $0.components(separatedBy: "HTTP/1.1").count > 2 && $0.contains("x-echo-uri") }
            #expect(text.hasPrefix("HTTP/1.1 403"))
            #expect(text.contains("denied"))
            #expect(text.contains("x-echo-uri: /echo"))
            #expect(upstream.heads.count == 1)
            await connection.close()
        }
    }

    @Test("a local answer made from the whole request body; bodies over the bound get 413")
    func localAnswerFromBody() async throws {
        try await withProxy { port, upstream, group in
            let connection = try await RawConnection(group: group, port: port)
            let big = String(repeating: "y", count: 70_000)
            try await connection.send("POST /local-body HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello worldPOST /local-body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
            let text = await connection.waitFor { $0.components(separatedBy: "HTTP/1.1 200").count > 2 }
            #expect(text.contains("read 11: hello"))
            #expect(text.contains("read 5: abcde"))
            try await connection.send("POST /local-body HTTP/1.1\r\nHost: x\r\nContent-Length: \(big.utf8.count)\r\n\r\n\(big)GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
            let after = await connection.waitFor { $0.contains("413") && $0.contains("x-echo-uri") }
            #expect(after.contains("HTTP/1.1 413"))
            #expect(after.contains("x-echo-uri: /echo"))
            #expect(upstream.heads.count == 1)
            await connection.close()
        }
    }

    @Test("appended response headers sit next to the upstream's own")
    func appendedResponseHeaders() async throws {
        try await withProxy { port, _, _ in
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/cookies"), timeout: .seconds(5))
            #expect(response.headers["Set-Cookie"] == ["a=1; Path=/", "b=2; Path=/"])
            #expect(response.headers["X-Proxied"] == ["yes"])
        }
    }

    @Test("deferred decisions hold the body until the upstream is attached")
    func deferred() async throws {
        try await withProxy { port, _, _ in
            let client = HTTPClient.shared
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/slow")
            request.method = .POST
            request.body = .bytes(ByteBuffer(string: String(repeating: "x", count: 100_000)))
            let response = try await client.execute(request, timeout: .seconds(5))
            let body = try await response.body.collect(upTo: 1_000_000)
            #expect(body.readableBytes == 100_000)
        }
    }

    @Test("accepts 256 KiB of headers and answers 431 beyond the limit")
    func headerLimits() async throws {
        try await withProxy { port, _, group in
            let big = String(repeating: "a", count: 256 * 1024)
            let accepted = try await RawConnection(group: group, port: port)
            try await accepted.send("GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: \(big)\r\n\r\n")
            #expect(await accepted.waitFor { $0.contains("\r\n\r\n") }.hasPrefix("HTTP/1.1 200"))
            await accepted.close()

            let refused = try await RawConnection(group: group, port: port)
            let huge = String(repeating: "b", count: 400 * 1024)
            try? await refused.send("GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: \(huge)\r\n\r\n")
            #expect(await refused.waitFor { $0.contains("\r\n\r\n") }.hasPrefix("HTTP/1.1 431"))
            await refused.close()
        }
    }

    @Test("malformed requests get 400, never a crash")
    func malformed() async throws {
        try await withProxy { port, _, group in
            let connection = try await RawConnection(group: group, port: port)
            try await connection.send("GET /echo HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
            #expect(await connection.waitFor { $0.contains("\r\n\r\n") }.hasPrefix("HTTP/1.1 400"))
            await connection.close()
        }
    }

    @Test("an unreachable upstream gives 503, a hang-up before answering 502")
    func upstreamFailures() async throws {
        // Port 1 (tcpmux), where nothing listens: a port picked free and closed again could be taken by another
        // test's listener before the proxy connects.
        let deadPort = 1
        try await withProxy(upstreamPort: deadPort) { port, _, _ in
            let client = HTTPClient.shared
            let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/echo"), timeout: .seconds(15))
            #expect(response.status == .serviceUnavailable)
        }
        try await withProxy { port, _, _ in
            let client = HTTPClient.shared
            let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/hangup"), timeout: .seconds(5))
            #expect(response.status == .badGateway)
        }
    }

    @Test("relays bytes both ways after the upstream switches protocols")
    func upgrade() async throws {
        try await withProxy { port, _, group in
            let connection = try await RawConnection(group: group, port: port)
            try await connection.send("GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test-echo\r\n\r\n")
            let greeting = await connection.waitFor { $0.contains("hello from upstream\n") }
            #expect(greeting.hasPrefix("HTTP/1.1 101"))
            #expect(greeting.lowercased().contains("upgrade: test-echo"))
            try await connection.send("ping 1\n")
            #expect(await connection.waitFor { $0.contains("ping 1\n") }.contains("ping 1\n"))
            let before = connection.byteCount
            let payload = String(repeating: "z", count: 2_000_000)
            try await connection.send(payload)
            let deadline = ContinuousClock.now + .seconds(10)
            while connection.byteCount < before + payload.utf8.count, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            let received = connection.byteCount - before
            #expect(received == payload.utf8.count)
            let text = connection.text
            #expect(text.components(separatedBy: "hello from upstream").count == 2)
            #expect(text.hasSuffix("ping 1\n" + payload), "\(text.suffix(60).debugDescription)")
            await connection.close()
        }
    }

    @Test("bytes sent behind an upgrade request before the 101 are bounded: a little is kept for the relay, a flood closes the connection")
    func floodBeforeSwitch() async throws {
        try await withProxy { port, _, group in
            // Early bytes within the bound reach the relay after the 101.
            let early = try await RawConnection(group: group, port: port)
            try await early.send("GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test-echo\r\n\r\nearly\n")
            #expect(await early.waitFor { $0.contains("early\n") }.contains("hello from upstream"))
            await early.close()

            // An upstream that never answers, and a client that keeps sending: cut off, not held in memory.
            let flood = try await RawConnection(group: group, port: port)
            try await flood.send("GET /silent HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test-echo\r\n\r\n")
            let chunk = String(repeating: "z", count: 32 * 1024)
            for _ in 0..<4 where !flood.isClosed {
                try? await flood.send(chunk)
            }
            for _ in 0..<250 where !flood.isClosed {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(flood.isClosed, "the proxy closes a connection flooding it before the switch")
        }
    }

    @Test("a refused upgrade is answered and the connection closed")
    func refusedUpgrade() async throws {
        try await withProxy { port, _, group in
            let connection = try await RawConnection(group: group, port: port)
            try await connection.send("GET /deny HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test-echo\r\n\r\n")
            let text = await connection.waitFor { _ in false }
            #expect(text.hasPrefix("HTTP/1.1 403"))
            #expect(connection.isClosed)
        }
    }

    @Test("idle connections are closed after the idle timeout; slow streams are not")
    func idleTimeout() async throws {
        // Long enough that a loaded machine (the whole suite on two cores) still sends the first bytes in time.
        try await withProxy(idleTimeout: .milliseconds(1500)) { port, _, group in
            let idle = try await RawConnection(group: group, port: port)
            try await Task.sleep(for: .milliseconds(3000))
            #expect(idle.isClosed, "a connection that never sends a request is closed")

            let trickle = try await RawConnection(group: group, port: port)
            try await trickle.send("GET /echo HTTP/1.1\r\n")
            try await Task.sleep(for: .milliseconds(3000))
            #expect(trickle.isClosed, "a request head that never completes is not waited for forever")

            let stream = try await RawConnection(group: group, port: port)
            try await stream.send("GET /stream?count=3&delayMs=1800 HTTP/1.1\r\nHost: x\r\n\r\n")
            let text = await stream.waitFor(timeout: .seconds(10)) { $0.contains("0\r\n\r\n") }
            #expect(text.contains("line 2"), "a response with pauses longer than the idle timeout is not cut: \(text)")
            await stream.close()
        }
    }

    @Test("a response still streaming when the shutdown's grace period ends gets its last chunk; a request not answered yet a 503")
    func shutdownEndsStreams() async throws {
        try await withProxyServices(gracePeriod: .milliseconds(300)) { port, _, group, services in
            let watch = try await RawConnection(group: group, port: port)
            try await watch.send("GET /stream?count=100&delayMs=200 HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = await watch.waitFor(timeout: .seconds(5)) { $0.contains("line 0") }
            let waiting = try await RawConnection(group: group, port: port)
            try await waiting.send("GET /silent HTTP/1.1\r\nHost: x\r\n\r\n")
            try await Task.sleep(for: .milliseconds(100))
            await services.triggerGracefulShutdown()
            let streamed = await watch.waitFor(timeout: .seconds(5)) { _ in watch.isClosed }
            #expect(streamed.hasSuffix("\r\n0\r\n\r\n"), "the watch ends with the last chunk: \(streamed.suffix(40))")
            #expect(watch.isClosed)
            let answered = await waiting.waitFor(timeout: .seconds(5)) { _ in waiting.isClosed }
            #expect(answered.hasPrefix("HTTP/1.1 503 "), "\(answered)")
            #expect(answered.contains("Connection: close"))
        }
    }

    @Test("an upstream that never answers gets the policy's failure answer after the response-head timeout")
    func responseHeadTimeout() async throws {
        try await withProxy(responseHeadTimeout: .milliseconds(400)) { port, _, group in
            let connection = try await RawConnection(group: group, port: port)
            let started = ContinuousClock.now
            try await connection.send("GET /silent HTTP/1.1\r\nHost: x\r\n\r\n")
            let text = await connection.waitFor(timeout: .seconds(10)) { $0.contains("\r\n\r\n") }
            #expect(text.hasPrefix("HTTP/1.1 502 "), "PassThroughPolicy answers every upstream failure but connect with 502: \(text)")
            #expect(ContinuousClock.now - started >= .milliseconds(400))
            // The connection goes on serving.
            try await connection.send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
            let next = await connection.waitFor(timeout: .seconds(10)) { $0.components(separatedBy: "HTTP/1.1 200").count > 1 }
            #expect(next.contains("HTTP/1.1 200"))
            await connection.close()
        }
    }

    @Test("a client slower than the request-head timeout is cut; a kept-alive connection may wait for the idle timeout")
    func requestHeadTimeout() async throws {
        // Long enough that a loaded machine (the whole suite on two cores) still sends the first bytes in time.
        try await withProxyServices(timeouts: ForwardingTimeouts(idle: .seconds(20), requestHead: .seconds(3))) { port, _, group, _ in
            let silent = try await RawConnection(group: group, port: port)
            let trickle = try await RawConnection(group: group, port: port)
            try await trickle.send("GET /echo HTTP/1.1\r\n")
            let kept = try await RawConnection(group: group, port: port)
            try await kept.send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = await kept.waitFor(timeout: .seconds(5)) { $0.contains("HTTP/1.1 200") }
            try await kept.send("GET /echo HTTP/1.1\r\n")
            let idle = try await RawConnection(group: group, port: port)
            try await idle.send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = await idle.waitFor(timeout: .seconds(5)) { $0.contains("HTTP/1.1 200") }
            try await Task.sleep(for: .milliseconds(6000))
            #expect(silent.isClosed, "a connection that sends nothing is closed after the request-head timeout")
            #expect(trickle.isClosed, "a head that does not complete in time is not waited for")
            #expect(kept.isClosed, "a later head that stalls is cut too")
            #expect(!idle.isClosed, "between requests the idle timeout applies, not the request-head timeout")
            await idle.close()
        }
    }

    @Test("connections beyond the limit are answered 503 with Retry-After and closed; a freed place is taken again")
    func connectionLimit() async throws {
        try await withProxyServices(maximumConnections: 2) { port, _, group, _ in
            let first = try await RawConnection(group: group, port: port)
            let second = try await RawConnection(group: group, port: port)
            try await first.send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = await first.waitFor(timeout: .seconds(5)) { $0.contains("HTTP/1.1 200") }
            let third = try await RawConnection(group: group, port: port)
            let refused = await third.waitFor(timeout: .seconds(5)) { _ in third.isClosed }
            #expect(refused.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"), "\(refused)")
            #expect(refused.contains("Retry-After: 1\r\n"))
            await second.close()
            try await Task.sleep(for: .milliseconds(200))
            let fourth = try await RawConnection(group: group, port: port)
            try await fourth.send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
            let served = await fourth.waitFor(timeout: .seconds(5)) { $0.contains("HTTP/1.1 200") }
            #expect(served.hasPrefix("HTTP/1.1 200"))
            await first.close()
            await fourth.close()
        }
    }

    @Test("a GET on a pooled connection the upstream dropped is retried once on a fresh connection")
    func staleConnectionRetry() async throws {
        try await withProxy { port, upstream, group in
            let connection = try await RawConnection(group: group, port: port)
            try await connection.send("GET /arm-drop HTTP/1.1\r\nHost: x\r\n\r\n")
            await connection.waitFor { $0.contains("x-echo-uri: /arm-drop") }
            try await connection.send("GET /echo?second HTTP/1.1\r\nHost: x\r\n\r\n")
            let text = await connection.waitFor { $0.contains("x-echo-uri: /echo?second") }
            #expect(text.contains("x-echo-uri: /echo?second"), "\(text)")
            #expect(upstream.connections == 2)

            try await connection.send("GET /arm-drop HTTP/1.1\r\nHost: x\r\n\r\n")
            try await Task.sleep(for: .milliseconds(200))
            try await connection.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
            let afterPost = await connection.waitFor { $0.contains("HTTP/1.1 502") }
            #expect(afterPost.contains("HTTP/1.1 502"), "a request with a body is never replayed")
            await connection.close()
        }
    }

    @Test("pipelined requests are answered in order, one exchange at a time")
    func pipelining() async throws {
        try await withProxy { port, upstream, group in
            let connection = try await RawConnection(group: group, port: port)
            try await connection.send(
                "GET /stream?count=2&delayMs=100 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /echo?second HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                + "GET /echo?third HTTP/1.1\r\nHost: x\r\n\r\n")
            let text = await connection.waitFor { $0.contains("x-echo-uri: /echo?third") }
            let first = try #require(text.range(of: "line 1"))
            let second = try #require(text.range(of: "x-echo-uri: /echo?second"))
            let third = try #require(text.range(of: "x-echo-uri: /echo?third"))
            #expect(first.upperBound < second.lowerBound && second.upperBound < third.lowerBound)
            #expect(text.contains("\r\n\r\nabc"))
            #expect(upstream.heads.map(\.uri) == ["/stream?count=2&delayMs=100", "/echo?second", "/echo?third"])
            await connection.close()
        }
    }

    @Test("the last response before a close arrives whole (Connection: close, HTTP/1.0, chunked)")
    func lastResponseBeforeClose() async throws {
        // Flushes are coalesced at the end of an event-loop tick; closing the connection must not drop what is
        // still waiting for that flush.
        try await withProxy { port, _, group in
            let body = String(repeating: "0123456789abcdef", count: 64 * 1024)  // 1 MiB
            for (version, connectionHeader) in [("HTTP/1.1", "Connection: close\r\n"), ("HTTP/1.0", "")] {
                let connection = try await RawConnection(group: group, port: port)
                try await connection.send("POST /echo \(version)\r\nHost: x\r\n\(connectionHeader)Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
                let text = await connection.waitFor(timeout: .seconds(10)) { _ in false }
                #expect(connection.isClosed, "\(version): the proxy closes after the response")
                let received = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
                #expect(received.utf8.count == body.utf8.count && received == body, "\(version): got \(received.utf8.count) bytes")
                await connection.close()
            }
            let streamed = try await RawConnection(group: group, port: port)
            try await streamed.send("GET /stream?count=3&delayMs=10 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let text = await streamed.waitFor(timeout: .seconds(10)) { _ in false }
            #expect(streamed.isClosed)
            #expect(text.contains("line 2") && text.hasSuffix("0\r\n\r\n"), "the chunked response ends with its last chunk: \(text.suffix(40).debugDescription)")
            await streamed.close()
        }
    }

    @Test("hostile bytes get 400 or a closed connection, and the server keeps serving")
    func hostileInput() async throws {
        try await withProxy { port, _, group in
            let inputs = [
                "\u{0}\u{1}\u{2}garbage\r\n\r\n",
                "GET / HTTP/9.9\r\n\r\n",
                "GET /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
                "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
                "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                "GET /echo HTTP/1.1\r\nHost: x\r\nX-Bad: a\rb\r\n\r\n",
                "GET /echo\u{7f} HTTP/1.1\r\n\r\n",
                String(repeating: "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n", count: 200),
            ]
            for input in inputs {
                let connection = try await RawConnection(group: group, port: port)
                try? await connection.send(input)
                let text = await connection.waitFor(timeout: .seconds(3)) { $0.contains("\r\n\r\n") && !$0.hasPrefix("HTTP/1.1 200") || $0.components(separatedBy: "HTTP/1.1 200").count > 200 }
                #expect(text.isEmpty || text.hasPrefix("HTTP/1.1 "), "\(input.prefix(40).debugDescription) -> \(text.prefix(80).debugDescription)")
                await connection.close()
            }
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/echo"), timeout: .seconds(5))
            #expect(response.status == .ok)
        }
    }
}
