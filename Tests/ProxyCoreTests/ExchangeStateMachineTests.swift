import NIOCore
import NIOHTTP1
import ServiceSupport
import Testing
@testable import ProxyCore

/// Renders failures as short texts the tests can read.
private struct RenderingPolicy: RequestPolicy {
    func decide(_ head: RequestHead, connection: ConnectionInfo) -> PolicyOutcome {
        .immediate(.respond(LocalResponse(status: .internalServerError)))
    }

    func upstreamFailureResponse(_ error: any Error, for head: RequestHead) -> LocalResponse {
        LocalResponse(status: error is UpstreamConnectFailure ? .serviceUnavailable : .badGateway,
                      body: ByteBuffer(string: "upstream failed"))
    }
}

/// A machine driven by a test, its actions kept as short texts; upstream connections are numbers.
private struct Driver {
    typealias Machine = ExchangeStateMachine<Int>
    var machine = Machine(policy: RenderingPolicy())
    private var pending = Machine.Actions()
    /// Everything the machine asked for, in order.
    private(set) var log: [String] = []

    static let upstream = UpstreamEndpoint(host: "api.test", port: 6443, tlsContext: nil)

    /// Applies an event and returns the actions it produced, as texts.
    @discardableResult
    mutating func apply(_ event: (inout Machine, inout Machine.Actions) -> Void) -> [String] {
        event(&machine, &pending)
        var texts: [String] = []
        while let action = pending.popFirst() { texts.append(Self.describe(action)) }
        log += texts
        return texts
    }

    @discardableResult
    mutating func head(_ method: HTTPMethod = .GET, _ uri: String = "/api", version: HTTPVersion = .http1_1,
                       _ headers: [(String, String)] = []) -> [String] {
        let head = RequestHead(HTTPRequestHead(version: version, method: method, uri: uri, headers: HTTPHeaders(headers)))
        return apply { $0.requestPartReceived(.head(head), into: &$1) }
    }

    @discardableResult
    mutating func body(_ text: String) -> [String] {
        apply { $0.requestPartReceived(.body(ByteBuffer(string: text)), into: &$1) }
    }

    @discardableResult
    mutating func end(_ trailers: HTTPHeaders? = nil) -> [String] {
        apply { $0.requestPartReceived(.end(trailers), into: &$1) }
    }

    /// Forwards the current request as the policy would, adding the proxy's identity.
    @discardableResult
    mutating func forward(_ uri: String = "/api", method: HTTPMethod = .GET, extra: [(String, String)] = []) -> [String] {
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: uri,
                                   headers: HTTPHeaders([("Impersonate-User", "alice")] + extra))
        return apply { $0.decided(.forward(ForwardPlan(upstream: Self.upstream, head: head, logUser: "alice")), into: &$1) }
    }

    @discardableResult
    mutating func ready(_ upstream: Int, attempt: Int = 1) -> [String] {
        apply { $0.upstreamReady(upstream, attempt: attempt, into: &$1) }
    }

    /// Frames `text` as the upstream's response to `method` with the real framer and delivers its parts.
    @discardableResult
    mutating func respond(_ text: String, to method: HTTPMethod = .GET) -> [String] {
        var framer = UpstreamResponseFramer(maximumHeadBytes: 65_536)
        framer.requestSent(method: method)
        var bytes = ByteBuffer(string: text)
        var texts: [String] = []
        while let part = try? framer.nextPart(&bytes) {
            texts += apply { $0.responsePartReceived(part, into: &$1) }
        }
        return texts
    }

    @discardableResult
    mutating func readRequested() -> [String] {
        apply { $0.readRequested(into: &$1) }
    }

    static func describe(_ action: Machine.Action) -> String {
        switch action {
        case .startClock: return "startClock"
        case .decide(let head):
            return "decide \(head.method) \(head.uri) \(head.headers.map { "\($0.name)=\($0.value)" }.joined(separator: ","))"
        case .answerFromBody(_, let body): return "answerFromBody \(String(buffer: body))"
        case .acquireUpstream(let endpoint, let reusable, let attempt):
            return "acquire \(endpoint.host) reusable=\(reusable) #\(attempt)"
        case .beginUpstreamRequest(let upstream, let method, let head): return "begin \(upstream) \(method) \(String(buffer: head))"
        case .writeUpstream(let upstream, let bytes): return "write \(upstream) \(String(buffer: bytes))"
        case .awaitResponseHead: return "awaitResponse"
        case .flushUpstream(let upstream): return "flushUpstream \(upstream)"
        case .pauseUpstreamReads(let upstream): return "pauseUpstream \(upstream)"
        case .resumeUpstreamReads(let upstream): return "resumeUpstream \(upstream)"
        case .releaseUpstream(let upstream): return "release \(upstream)"
        case .closeUpstream(let upstream): return "closeUpstream \(upstream)"
        case .writeLocalResponse(let head, let body, _):
            let headers = head.headers.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
            return "local \(head.status.code) \(headers) \(String(buffer: body))"
        case .writeResponseHead(let head): return "responseHead \(head.upstream.status.code) close=\(head.close)"
        case .writeResponseBody(let bytes): return "responseBody \(String(buffer: bytes))"
        case .writeResponseEnd: return "responseEnd"
        case .flushClient: return "flushClient"
        case .switchProtocols(let head, let upstream): return "switch \(head.status.code) \(upstream)"
        case .answerMalformed(let error): return "malformed \(error.status.code)"
        case .readClient: return "read"
        case .becameIdle: return "idle"
        case .closeClient: return "close"
        case .record(let record): return "record \(record.status) \(record.user ?? "-") \(record.refusalReason ?? "-")"
        case .countRefusal(let reason): return "refusal \(reason)"
        case .countUpstreamError(let kind): return "upstreamError \(kind)"
        case .warn(let warning): return "warn \(warning)".prefix(30).description
        }
    }
}

@Suite("The exchange state machine, without sockets")
struct ExchangeStateMachineTests {
    static let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    @Test("a GET: decided, sent with the proxy's framing, answered, the connection pooled and the client idle")
    func simpleGet() {
        var driver = Driver()
        #expect(driver.head(.GET, "/api", [("Authorization", "Bearer t"), ("Connection", "keep-alive")])
                == ["startClock", "decide GET /api Authorization=Bearer t"])
        #expect(driver.forward() == ["acquire api.test reusable=true #1"])
        #expect(driver.ready(7) == ["begin 7 GET GET /api HTTP/1.1\r\nHost: api.test:6443\r\nImpersonate-User: alice\r\n\r\n", "flushUpstream 7"])
        #expect(driver.end() == ["flushUpstream 7", "awaitResponse"], "the response-head clock starts once the whole request is sent")
        #expect(driver.respond(Self.ok) == ["responseHead 200 close=false", "responseBody ok", "responseEnd", "flushClient",
                                             "release 7", "record 200 alice -", "idle"])
        #expect(driver.machine.isWaitingForRequest)
    }

    @Test("body parts held while deciding and connecting go out after the head, framed by the proxy alone")
    func heldBody() {
        var driver = Driver()
        driver.head(.POST, "/api", [("Content-Length", "5")])
        #expect(driver.body("hel") == [])
        #expect(driver.forward(method: .POST, extra: [("Content-Length", "999"), ("Transfer-Encoding", "chunked")])
                == ["acquire api.test reusable=true #1"])
        #expect(driver.body("lo") == [])
        #expect(driver.end() == [])
        #expect(driver.ready(3) == [
            "begin 3 POST POST /api HTTP/1.1\r\nHost: api.test:6443\r\nImpersonate-User: alice\r\nContent-Length: 5\r\n\r\n",
            "write 3 hel", "write 3 lo", "flushUpstream 3", "awaitResponse",
        ])
    }

    @Test("a chunked body is chunk-encoded by the proxy and ends with an empty trailer section")
    func chunkedBody() {
        var driver = Driver()
        driver.head(.PUT, "/api", [("Transfer-Encoding", "chunked")])
        driver.forward(method: .PUT)
        driver.ready(1)
        #expect(driver.body("hello") == ["write 1 5\r\n", "write 1 hello", "write 1 \r\n", "flushUpstream 1"])
        #expect(driver.end(HTTPHeaders([("X-Trailer", "dropped")])) == ["write 1 0\r\n\r\n", "flushUpstream 1", "awaitResponse"])
    }

    @Test("body bytes beyond the declared length never reach the upstream: its connection closes, the client gets 400")
    func overlongBody() {
        var driver = Driver()
        driver.head(.POST, "/api", [("Content-Length", "2")])
        driver.forward(method: .POST)
        driver.ready(4)
        let actions = driver.body("three")
        #expect(actions.first == "closeUpstream 4")
        #expect(!actions.contains { $0.hasPrefix("write 4") })
        #expect(actions.contains { $0.hasPrefix("local 400 ") && $0.contains("Connection=close") })
        #expect(!actions.contains("close"), "the rest of the request is read and dropped first")
        #expect(driver.end() == ["record 400 alice bad_framing", "close"])
    }

    @Test("a trailer naming an identity header is refused, and what was sent upstream is abandoned")
    func impersonationTrailer() {
        var driver = Driver()
        driver.head(.POST, "/api", [("Transfer-Encoding", "chunked")])
        driver.forward(method: .POST)
        driver.ready(2)
        let actions = driver.end(HTTPHeaders([("Impersonate-User", "root")]))
        #expect(actions.first == "closeUpstream 2")
        #expect(actions.contains { $0.hasPrefix("local 403 ") })
        #expect(actions.contains("refusal impersonation_header"))
        #expect(actions.last == "close")
    }

    @Test("TRACE is refused before the policy sees it, with Allow")
    func trace() {
        var driver = Driver()
        let actions = driver.head(.TRACE, "/")
        #expect(!actions.contains { $0.hasPrefix("decide") })
        #expect(actions.contains { $0.hasPrefix("local 405 ") && $0.contains("Allow=GET, HEAD, POST") })
    }

    @Test("a request pipelined behind another waits, with reads paused, and is served after it in order")
    func pipelining() {
        var driver = Driver()
        driver.head()
        driver.forward()
        driver.ready(1)
        driver.end()
        #expect(driver.head(.GET, "/second") == [], "queued")
        #expect(driver.end() == [])
        #expect(driver.readRequested() == [], "reads pause while input is queued")
        let actions = driver.respond(Self.ok)
        #expect(Array(actions.prefix(7)) == ["responseHead 200 close=false", "responseBody ok", "responseEnd", "flushClient",
                                              "release 1", "record 200 alice -", "idle"])
        #expect(actions.dropFirst(7).first == "startClock")
        #expect(actions.contains("decide GET /second "))
        #expect(!actions.contains("read"), "the next exchange is deciding: reads stay paused")
        #expect(driver.forward("/second") == ["acquire api.test reusable=true #2"])
        #expect(driver.ready(2, attempt: 2).last == "read", "the read asked for while queued happens once the next request streams")
    }

    @Test("reads pause while the policy decides and the upstream connects, and while the upstream cannot take more")
    func backpressure() {
        var driver = Driver()
        driver.head(.POST, "/api", [("Content-Length", "10")])
        #expect(driver.readRequested() == [])
        driver.forward(method: .POST)
        #expect(driver.ready(5).last == "read", "the read asked for while deciding happens once forwarding")
        #expect(driver.apply { $0.upstreamWritabilityChanged(isWritable: false, into: &$1) } == [])
        #expect(driver.readRequested() == [])
        #expect(driver.apply { $0.upstreamWritabilityChanged(isWritable: true, into: &$1) } == ["read"])
        #expect(driver.apply { $0.clientWritabilityChanged(isWritable: false, into: &$1) } == ["pauseUpstream 5"])
        #expect(driver.apply { $0.clientWritabilityChanged(isWritable: true, into: &$1) } == ["resumeUpstream 5"])
    }

    @Test("a pooled connection closed before answering is retried once on a fresh one, for an idempotent request only")
    func staleConnectionRetry() {
        var driver = Driver()
        driver.head()
        driver.end()
        driver.forward()
        driver.ready(1)
        #expect(driver.apply { $0.upstreamClosed(error: nil, untouchedReuse: true, into: &$1) }
                == ["acquire api.test reusable=false #2"])
        #expect(driver.ready(1, attempt: 1) == ["closeUpstream 1"], "a late answer to the first attempt is not used")
        #expect(driver.ready(2, attempt: 2).first?.hasPrefix("begin 2 GET") == true)
        let second = driver.apply { $0.upstreamClosed(error: nil, untouchedReuse: true, into: &$1) }
        #expect(second.contains("upstreamError closed"))
        #expect(second.contains { $0.hasPrefix("local 502 ") })

        var post = Driver()
        post.head(.POST, "/api", [("Content-Length", "1")])
        post.body("x")
        post.end()
        post.forward(method: .POST)
        post.ready(1)
        #expect(post.apply { $0.upstreamClosed(error: nil, untouchedReuse: true, into: &$1) }.contains { $0.hasPrefix("local 502 ") })
    }

    @Test("an unreachable upstream gives the policy's 503; a close mid-response aborts the client connection")
    func upstreamFailures() {
        var driver = Driver()
        driver.head()
        driver.end()
        driver.forward()
        let unreachable = driver.apply { $0.upstreamUnreachable(ChannelError.connectTimeout(.seconds(1)), attempt: 1, into: &$1) }
        #expect(unreachable.contains("upstreamError connect"))
        #expect(unreachable.contains { $0.hasPrefix("local 503 ") })

        var midway = Driver()
        midway.head()
        midway.end()
        midway.forward()
        midway.ready(9)
        midway.respond("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart")
        #expect(midway.apply { $0.upstreamClosed(error: nil, untouchedReuse: false, into: &$1) }
                == ["upstreamError closed", "record 200 alice -", "close"])
    }

    @Test("a switch nobody asked for is a 502; an upgrade request switches after the 101's end, and never pools")
    func protocolSwitch() {
        var driver = Driver()
        driver.head()
        driver.end()
        driver.forward()
        driver.ready(1)
        let unasked = driver.respond("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n")
        #expect(unasked.prefix(2) == ["closeUpstream 1", "upstreamError protocol"])
        #expect(unasked.contains { $0.hasPrefix("local 502 ") })

        var upgrade = Driver()
        // The policy sees the Upgrade field; the machine writes Connection: Upgrade itself (and no other Connection).
        #expect(upgrade.head(.GET, "/exec", [("Connection", "Upgrade"), ("Upgrade", "SPDY/3.1")]).last
                == "decide GET /exec Upgrade=SPDY/3.1")
        #expect(upgrade.forward("/exec", extra: [("Connection", "close"), ("Upgrade", "SPDY/3.1")])
                == ["acquire api.test reusable=false #1"])
        #expect(upgrade.ready(6).first
                == "begin 6 GET GET /exec HTTP/1.1\r\nHost: api.test:6443\r\nImpersonate-User: alice\r\nUpgrade: SPDY/3.1\r\nConnection: Upgrade\r\n\r\n")
        upgrade.end()
        #expect(upgrade.respond("HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nConnection: Upgrade\r\n\r\n")
                == ["record 101 alice -", "switch 101 6"])
        #expect(upgrade.machine.isWaitingForRequest == false)
    }

    @Test("an HTTP/1.0 client, a quiescing server and Connection: close end the connection after the response")
    func closeRules() {
        var old = Driver()
        old.head(.GET, "/api", version: .http1_0)
        old.end()
        old.forward()
        old.ready(1)
        #expect(old.respond(Self.ok) == ["responseHead 200 close=true", "responseBody ok", "responseEnd", "flushClient",
                                          "release 1", "record 200 alice -", "close"])

        var quiescing = Driver()
        quiescing.head()
        quiescing.end()
        quiescing.forward()
        quiescing.ready(1)
        #expect(quiescing.apply { $0.quiesce(into: &$1) } == [])
        #expect(quiescing.respond(Self.ok).first == "responseHead 200 close=true")
        #expect(quiescing.log.last == "close")

        var idle = Driver()
        #expect(idle.apply { $0.quiesce(into: &$1) } == ["close"])
    }

    @Test("bytes that are not a request are answered after the requests before them, then the connection closes")
    func malformedInput() {
        var idle = Driver()
        #expect(idle.apply { $0.requestMalformed(.malformedRequestLine, into: &$1) }
                == ["refusal \(ClientRequestError.malformedRequestLine.reason)", "malformed 400"])

        var behind = Driver()
        behind.head()
        behind.end()
        behind.forward()
        behind.ready(1)
        #expect(behind.apply { $0.requestMalformed(.malformedRequestLine, into: &$1) } == [])
        let actions = behind.respond(Self.ok)
        #expect(actions.suffix(2) == ["refusal \(ClientRequestError.malformedRequestLine.reason)", "malformed 400"])
        #expect(actions.contains("release 1"))

        var cut = Driver()
        cut.head(.POST, "/api", [("Content-Length", "10")])
        cut.forward(method: .POST)
        cut.ready(1)
        let cutActions = cut.apply { $0.requestMalformed(.malformedChunk, into: &$1) }
        #expect(cutActions.first == "closeUpstream 1")
        #expect(cutActions.contains { $0.hasPrefix("local 400 ") })
    }

    @Test("a half-closed client gets its answer, then the close; the client leaving mid-exchange is recorded as 499")
    func halfCloseAndLeaving() {
        var driver = Driver()
        driver.head()
        driver.end()
        driver.forward()
        driver.ready(1)
        #expect(driver.apply { $0.clientInputClosed(into: &$1) } == [])
        #expect(driver.respond(Self.ok).suffix(2) == ["idle", "close"])

        var leaving = Driver()
        leaving.head()
        leaving.forward()
        leaving.ready(4)
        #expect(leaving.apply { $0.clientGone(closing: false, into: &$1) } == ["closeUpstream 4", "record 499 alice -"])
        #expect(leaving.respond(Self.ok) == [], "nothing happens after the client left")
    }

    @Test("a body read for a local answer is bounded; the answer comes from the reader")
    func bodyReader() {
        let tooLarge = LocalResponse(status: .payloadTooLarge, body: ByteBuffer(string: "too large"))
        let reader = BodyReader(maximumBytes: 4, tooLarge: tooLarge) { _ in LocalResponse(status: .ok) }
        var driver = Driver()
        driver.head(.POST, "/logout", [("Content-Length", "3")])
        driver.body("abc")
        #expect(driver.apply { $0.decided(.respondAfterBody(reader), into: &$1) } == [], "the held body part is collected")
        #expect(driver.end() == ["answerFromBody abc"])
        #expect(driver.apply { $0.answered(LocalResponse(status: .ok), into: &$1) }.first?.hasPrefix("local 200 ") == true)

        var large = Driver()
        large.head(.POST, "/logout", [("Content-Length", "9")])
        large.apply { $0.decided(.respondAfterBody(reader), into: &$1) }
        #expect(large.body("12345").first?.hasPrefix("local 413 ") == true)
    }

    @Test("deferred work that fails becomes the policy's 500, logged; a late decision is ignored")
    func policyFailure() {
        var driver = Driver()
        driver.head()
        let actions = driver.apply { $0.decisionFailed(CancellationError(), into: &$1) }
        #expect(actions.first?.hasPrefix("warn policyFailed") == true)
        #expect(actions.contains { $0.hasPrefix("local 500 ") && $0.hasSuffix("Internal error\n") })
        #expect(driver.forward() == [], "decided already")
    }

    @Test("a head the policy made unsafe is never written; the fresh connection goes back to the pool")
    func unsafeHead() {
        var driver = Driver()
        driver.head()
        driver.end()
        driver.forward(extra: [("X-Bad", "a\r\nImpersonate-Group: system:masters")])
        let actions = driver.ready(3)
        #expect(actions.first == "release 3")
        #expect(!actions.contains { $0.hasPrefix("begin") })
        #expect(actions.contains { $0.hasPrefix("local 400 ") })
    }

    @Test("an upstream that sends no response head in time gets its connection closed; the client the policy's answer")
    func responseHeadTimeout() {
        var driver = Driver()
        driver.head(.POST, "/api", [("Content-Length", "1")])
        driver.forward(method: .POST)
        driver.ready(5)
        #expect(driver.apply { $0.responseHeadTimedOut(.seconds(60), into: &$1) } == [], "the request is not complete yet")
        driver.body("x")
        #expect(driver.end() == ["flushUpstream 5", "awaitResponse"])
        let actions = driver.apply { $0.responseHeadTimedOut(.seconds(60), into: &$1) }
        #expect(actions.prefix(2) == ["closeUpstream 5", "upstreamError timeout"])
        #expect(actions.contains { $0.hasPrefix("local 502 ") }, "RenderingPolicy renders every non-connect failure as 502")
        #expect(actions.suffix(2) == ["record 502 alice -", "idle"])

        var streaming = Driver()
        streaming.head()
        streaming.end()
        streaming.forward()
        streaming.ready(1)
        streaming.respond("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        #expect(streaming.apply { $0.responseHeadTimedOut(.seconds(60), into: &$1) } == [], "a started response is never cut")
    }

    @Test("when the shutdown's grace period ends, a streamed response gets its end and a waiting request a 503")
    func shutdownDeadline() {
        var watch = Driver()
        watch.head()
        watch.end()
        watch.forward()
        watch.ready(1)
        watch.respond("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        #expect(watch.apply { $0.shutdownDeadlineReached(into: &$1) }
                == ["closeUpstream 1", "responseEnd", "record 200 alice -", "close"])

        var waiting = Driver()
        waiting.head()
        waiting.end()
        waiting.forward()
        waiting.ready(2)
        let actions = waiting.apply { $0.shutdownDeadlineReached(into: &$1) }
        #expect(actions.first == "closeUpstream 2")
        #expect(actions.contains { $0.hasPrefix("local 503 ") })
        #expect(actions.filter { $0 == "close" }.count == 1)

        var idle = Driver()
        #expect(idle.apply { $0.shutdownDeadlineReached(into: &$1) } == ["close"])
    }
}
