@testable import ServiceSupport
import NIOCore
import NIOHTTP1
import Synchronization
import Testing
@testable import ProxyCore

/// Modelled on the API proxy: refuses any `Impersonate-*` header (403), replaces the client's `Authorization` with
/// the proxy's credential and impersonates `alice`; decides `/deferred...` later, when the test says so.
final class ImpersonatingPolicy: RequestPolicy {
    static let upstream = UpstreamEndpoint(host: "upstream.test", port: 80, tlsContext: nil)
    /// The headers the policy adds, in order: what every upstream request must carry exactly once.
    static let identity: [(name: String, value: String)] = [("Authorization", "Bearer proxy"), ("Impersonate-User", "alice")]

    private let deferred = Mutex<[(EventLoopPromise<ProxyDecision>, ForwardPlan)]>([])

    func decide(_ head: RequestHead, connection: ConnectionInfo) -> PolicyOutcome {
        var impersonation = false
        head.forEachField { if $0.nameHasPrefix("impersonate-") { impersonation = true } }
        if impersonation {
            return .immediate(.respond(LocalResponse(status: .forbidden, headers: ["Content-Type": "text/plain"],
                                                     body: ByteBuffer(string: "no impersonation\n"), refusalReason: "impersonation")))
        }
        // Relayed from the client's bytes, as the API proxy does.
        var added = HTTPHeaders()
        for (name, value) in Self.identity { added.add(name: name, value: value) }
        let relayed = RelayedRequestHead(client: head, filter: ClientFieldFilter(names: ["authorization"], prefixes: []),
                                         addedFields: added)
        let plan = ForwardPlan(upstream: Self.upstream, relaying: relayed, logUser: "alice")
        guard head.uri.hasPrefix("/deferred") else { return .immediate(.forward(plan)) }
        return .deferred(.future { [self] eventLoop in
            let promise = eventLoop.makePromise(of: ProxyDecision.self)
            deferred.withLock { $0.append((promise, plan)) }
            return promise.futureResult
        })
    }

    /// Forwards every deferred request; returns how many there were.
    @discardableResult
    func completeDeferred() -> Int {
        let pending = deferred.withLock { pending in
            defer { pending = [] }
            return pending
        }
        for (promise, plan) in pending { promise.succeed(.forward(plan)) }
        return pending.count
    }

    /// Fails every deferred decision; returns how many there were.
    @discardableResult
    func failDeferred() -> Int {
        let pending = deferred.withLock { pending in
            defer { pending = [] }
            return pending
        }
        for (promise, _) in pending { promise.fail(PolicyTestError()) }
        return pending.count
    }

    func upstreamFailureResponse(_ error: any Error, for head: RequestHead) -> LocalResponse {
        LocalResponse(status: .badGateway)
    }
}

struct PolicyTestError: Error {}

/// Requests, and what the proxy must make of them.
enum Wire {
    static let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    static let get = request("GET", "/api/v1/pods", headers: "Accept: application/json\r\n")
    static let getUpstream = upstream("GET", "/api/v1/pods", headers: "Accept: application/json\r\n")
    static let json = #"{"kind":"Pod","metadata":{"name":"p"}}"#
    static let postLength = request("POST", "/api/v1/namespaces/default/pods",
                                    headers: "Content-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n") + json
    static let postLengthUpstream = upstream("POST", "/api/v1/namespaces/default/pods", headers: "Content-Type: application/json\r\n",
                                             framing: "Content-Length: \(json.utf8.count)") + json
    static let postChunked = request("POST", "/api/v1/namespaces/default/pods", headers: "Transfer-Encoding: chunked\r\n")
        + "5;ext=1\r\n{\"kin\r\n" + String(json.utf8.count - 5, radix: 16) + "\r\n" + json.dropFirst(5) + "\r\n0\r\n\r\n"
    static let postChunkedHead = upstream("POST", "/api/v1/namespaces/default/pods", framing: "Transfer-Encoding: chunked")

    /// A client request with the user's token.
    static func request(_ method: String, _ path: String, headers: String = "") -> String {
        "\(method) \(path) HTTP/1.1\r\nHost: proxy.test\r\nAuthorization: Bearer user-token\r\n\(headers)\r\n"
    }

    /// The head the proxy must send for it.
    static func upstream(_ method: String, _ path: String, headers: String = "", framing: String? = nil) -> String {
        "\(method) \(path) HTTP/1.1\r\nHost: upstream.test\r\n\(headers)Authorization: Bearer proxy\r\nImpersonate-User: alice\r\n"
            + (framing.map { $0 + "\r\n" } ?? "") + "\r\n"
    }

    /// The default answer to a refusal by the forwarder.
    static func refusal(_ status: String, _ message: String, extra: String = "") -> String {
        "HTTP/1.1 \(status)\r\nContent-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\n\(extra)"
            + "Content-Length: \(message.utf8.count + 1)\r\n"
    }
}

/// Chunk-decodes `bytes` strictly (hex sizes, optional extensions, CRLF after each chunk, an empty trailer section):
/// the body and what follows, or nil.
func dechunk(_ bytes: ArraySlice<UInt8>) -> (body: [UInt8], rest: [UInt8])? {
    var position = bytes.startIndex
    var body: [UInt8] = []
    func crlf(at index: Int) -> Bool { index + 1 < bytes.endIndex && bytes[index] == 13 && bytes[index + 1] == 10 }
    while true {
        var lineEnd = position
        while lineEnd < bytes.endIndex, !crlf(at: lineEnd) { lineEnd += 1 }
        let sizeText = String(decoding: bytes[position..<lineEnd], as: UTF8.self).split(separator: ";", maxSplits: 1,
                                                                                       omittingEmptySubsequences: false)[0]
        guard lineEnd < bytes.endIndex, !sizeText.isEmpty, let size = Int(sizeText, radix: 16), size >= 0 else { return nil }
        position = lineEnd + 2
        if size == 0 {
            guard crlf(at: position) else { return nil }
            return (body, Array(bytes[(position + 2)...]))
        }
        guard position + size + 2 <= bytes.endIndex, crlf(at: position + size) else { return nil }
        body += bytes[position..<(position + size)]
        position += size + 2
    }
}

/// Runs `input` through a fresh harness split at `offsets`, finishes it and checks the invariants.
@discardableResult
func runHarness(_ input: String, splitAt offsets: [Int] = [], thenHalfClose: Bool = false) -> InMemoryForwarding {
    runHarness(input, splitAt: offsets, thenHalfClose: thenHalfClose) { _ in }
}

/// Runs `input` through a fresh harness split at `offsets`, then `body` on it, finishes it and checks the invariants.
@discardableResult
func runHarness(_ input: String, splitAt offsets: [Int] = [], thenHalfClose: Bool = false,
                _ body: (InMemoryForwarding) throws -> Void) rethrows -> InMemoryForwarding {
    let harness = InMemoryForwarding(policy: ImpersonatingPolicy())
    harness.send(input, splitAt: offsets, thenHalfClose: thenHalfClose)
    try body(harness)
    harness.finish()
    #expect(harness.invariantViolations(expectedIdentity: ImpersonatingPolicy.identity) == [])
    #expect(harness.upstreamParseErrors == [])
    #expect(harness.harnessErrors == [] && !harness.workLimitExceeded)
    return harness
}

extension Array where Element == UInt8 {
    var text: String { String(decoding: self, as: UTF8.self) }
}

@Suite("The forwarding handler over in-memory channels")
struct InMemoryForwardingTests {
    @Test("a policy whose deferred decision fails answers the policy's failure response (500), not an upstream error")
    func policyFailure() {
        let policy = ImpersonatingPolicy()
        let harness = InMemoryForwarding(policy: policy)
        harness.send(Wire.request("GET", "/deferred/x"))
        #expect(policy.failDeferred() == 1)
        harness.finish()
        #expect(harness.upstreamConnections.isEmpty)
        #expect(harness.clientReceived.text.hasPrefix("HTTP/1.1 500 Internal Server Error\r\n"), "\(harness.clientReceived.text)")
        #expect(harness.clientReceived.text.hasSuffix("\r\n\r\nInternal error\n"))
    }

    @Test("a GET reaches the upstream with the policy's identity only, and the answer reaches the client")
    func simpleGet() {
        runHarness(Wire.get) { harness in
            #expect(harness.upstreamConnections.map(\.text) == [Wire.getUpstream])
            #expect(harness.clientReceived.text == Wire.ok)
            #expect(harness.upstreamRequests.map(\.isComplete) == [true])
            #expect(harness.clientChannelIsActive)
            #expect(harness.clientRequestHeads == 1)
        }
    }

    @Test("a POST with Content-Length goes upstream framed by the proxy's Content-Length, byte for byte")
    func postWithLength() {
        runHarness(Wire.postLength) { harness in
            #expect(harness.upstreamConnections.map(\.text) == [Wire.postLengthUpstream])
            #expect(harness.clientReceived.text == Wire.ok)
        }
    }

    @Test("a chunked POST is re-chunked by the proxy: its head exact, its body whole, nothing after the last chunk")
    func postChunked() throws {
        try runHarness(Wire.postChunked) { harness in
            let connection = try #require(harness.upstreamConnections.first)
            let head = Array(Wire.postChunkedHead.utf8)
            #expect(Array(connection.prefix(head.count)) == head)
            let decoded = try #require(dechunk(connection.dropFirst(head.count)))
            #expect(decoded.body.text == Wire.json && decoded.rest == [])
            #expect(!connection.text.contains("ext=1"))
            #expect(harness.upstreamRequests.map(\.body.text) == [Wire.json])
            #expect(harness.clientReceived.text == Wire.ok)
        }
    }

    /// What must not depend on how the client's bytes were split into reads: each upstream request's head, its
    /// de-chunked body and completeness, the bytes of every body not chunked, and what the client received.
    private struct Outcome: Equatable {
        var requests: [[String]]
        var unchunkedBytes: [String]
        var client: String
        init(_ harness: InMemoryForwarding) {
            requests = harness.upstreamRequests.map { [String(describing: $0.connection), $0.rawHead.text, $0.body.text, "\($0.isComplete)"] }
            unchunkedBytes = harness.upstreamConnections.map(\.text).filter { !$0.contains("Transfer-Encoding") }
            client = harness.clientReceived.text
        }
    }

    @Test("splitting the client's bytes at any boundary, or into single bytes, changes nothing upstream",
          arguments: [Wire.get, Wire.postLength, Wire.postChunked, Wire.get + Wire.postChunked + Wire.postLength,
                      Wire.get + "\u{1}\u{2} garbage\r\n\r\n"])
    func everySplit(input: String) {
        let reference = Outcome(runHarness(input))
        #expect(reference.requests.count >= 1)
        let count = input.utf8.count
        for offset in 1..<count {
            let outcome = Outcome(runHarness(input, splitAt: [offset]))
            #expect(outcome == reference, "split at \(offset)")
        }
        #expect(Outcome(runHarness(input, splitAt: Array(1..<count))) == reference, "split into single bytes")
    }

    @Test("pipelined requests are forwarded on one upstream connection and answered in order")
    func pipelined() {
        runHarness(Wire.get + Wire.postLength + Wire.request("GET", "/api/v1/nodes")) { harness in
            #expect(harness.upstreamConnections.map(\.text) == [Wire.getUpstream + Wire.postLengthUpstream
                                                                    + Wire.upstream("GET", "/api/v1/nodes")])
            #expect(harness.clientReceived.text == Wire.ok + Wire.ok + Wire.ok)
            #expect(harness.clientRequestHeads == 3)
        }
    }

    @Test("a request pipelined before garbage is answered, then 400, then the connection closes after lingering")
    func pipelinedThenGarbage() {
        runHarness(Wire.get + "\u{1}\u{2} garbage\r\n\r\n") { harness in
            #expect(harness.upstreamConnections.map(\.text) == [Wire.getUpstream])
            #expect(harness.clientReceived.text == Wire.ok + "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n"
                        + "Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\nContent-Length: 12\r\n\r\nBad Request\n")
            #expect(harness.clientOutputClosed)
            #expect(harness.clientChannelIsActive, "the connection lingers")
            harness.advanceTime(by: .seconds(2))
            #expect(!harness.clientChannelIsActive)
        }
    }

    @Test("Connection naming Content-Length: 400, nothing of the body travels, and the connection goes on")
    func connectionNamingContentLength() {
        let smuggled = Wire.request("GET", "/api/v1/secrets", headers: "Impersonate-User: system:admin\r\nX-Ignore: ")
        let input = Wire.request("GET", "/api/v1/pods", headers: "Content-Length: \(smuggled.utf8.count)\r\nConnection: keep-alive, Content-Length\r\n")
            + smuggled
        let message = "the Connection header may not name framing, credential or identity headers"
        runHarness(input) { harness in
            #expect(harness.upstreamConnections == [])
            #expect(harness.clientReceived.text == Wire.refusal("400 Bad Request", message) + "\r\n" + message + "\n")
            harness.send(Wire.get)
            #expect(harness.upstreamConnections.map(\.text) == [Wire.getUpstream])
            #expect(harness.clientReceived.text.hasSuffix("\n" + Wire.ok))
        }
    }

    @Test("TRACE gets 405 with Allow, and nothing reaches the upstream")
    func trace() {
        let message = "TRACE and CONNECT requests are not served"
        runHarness(Wire.request("TRACE", "/api/v1/pods")) { harness in
            #expect(harness.upstreamConnections == [])
            #expect(harness.clientReceived.text == Wire.refusal("405 Method Not Allowed", message,
                                                                 extra: "Allow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n")
                        + "\r\n" + message + "\n")
        }
    }

    @Test("Impersonate-User in a request trailer: 403, the upstream never gets a complete request, both connections close",
          arguments: [false, true])
    func impersonationTrailer(splitIntoBytes: Bool) {
        let input = Wire.request("POST", "/api/v1/pods", headers: "Transfer-Encoding: chunked\r\n")
            + "3\r\nabc\r\n0\r\nImpersonate-User: system:admin\r\n\r\n"
        let message = "impersonation headers are not allowed"
        runHarness(input, splitAt: splitIntoBytes ? Array(1..<input.utf8.count) : []) { harness in
            #expect(harness.clientReceived.text == Wire.refusal("403 Forbidden", message) + "Connection: close\r\n\r\n" + message + "\n")
            #expect(!harness.clientChannelIsActive)
            #expect(harness.upstreamRequests.allSatisfy { !$0.isComplete })
            #expect(!harness.upstreamConnections.contains { $0.text.contains("system:admin") || $0.text.contains("0\r\n\r\n") })
            #expect(harness.upstreamConnectionsClosedByProxy.allSatisfy { $0 })
            if splitIntoBytes {
                #expect(harness.upstreamConnections.map(\.text) == [Wire.upstream("POST", "/api/v1/pods", framing: "Transfer-Encoding: chunked")
                                                                        + "1\r\na\r\n1\r\nb\r\n1\r\nc\r\n"])
            }
        }
    }

    @Test("a half-close behind complete requests: every request is answered, then the connection closes")
    func halfClose() {
        runHarness(Wire.get + Wire.get, thenHalfClose: true) { harness in
            #expect(harness.clientReceived.text == Wire.ok + Wire.ok)
            #expect(!harness.clientChannelIsActive)
            #expect(harness.upstreamConnections.map(\.text) == [Wire.getUpstream + Wire.getUpstream])
        }
        runHarness(Wire.get) { harness in
            harness.halfCloseClient()
            #expect(harness.clientReceived.text == Wire.ok)
            #expect(!harness.clientChannelIsActive)
        }
    }

    @Test("a deferred decision holds the body and forwards it whole", arguments: [false, true])
    func deferredDecision(splitIntoBytes: Bool) {
        let body = String(repeating: "0123456789", count: 30)
        let input = Wire.request("POST", "/deferred/pods", headers: "Content-Length: \(body.utf8.count)\r\n") + body
        let policy = ImpersonatingPolicy()
        let harness = InMemoryForwarding(policy: policy)
        harness.send(input, splitAt: splitIntoBytes ? Array(1..<input.utf8.count) : [])
        #expect(harness.upstreamConnections == [] && harness.clientReceived == [])
        #expect(harness.pendingClientReads > 0 || !splitIntoBytes, "reads wait for the decision")
        #expect(policy.completeDeferred() == 1)
        harness.run()
        #expect(harness.upstreamConnections.map(\.text)
                    == [Wire.upstream("POST", "/deferred/pods", framing: "Content-Length: \(body.utf8.count)") + body])
        #expect(harness.clientReceived.text == Wire.ok)
        #expect(harness.pendingClientReads == 0)
        harness.finish()
        #expect(harness.invariantViolations(expectedIdentity: ImpersonatingPolicy.identity) == [])
    }

    @Test("at the end of a run, the connection of an exchange cut short is closed by the proxy, an idle one by the harness")
    func endOfRun() {
        let cutShort = runHarness(Wire.request("PUT", "/api/v1/pods", headers: "Content-Length: 10\r\n") + "abc")
        #expect(cutShort.upstreamConnections.map(\.text) == [Wire.upstream("PUT", "/api/v1/pods", framing: "Content-Length: 10") + "abc"])
        #expect(cutShort.upstreamRequests.map(\.isComplete) == [false])
        #expect(cutShort.upstreamConnectionsClosedByProxy == [true])
        let idle = runHarness(Wire.get)
        #expect(idle.upstreamConnectionsClosedByProxy == [false])
        #expect(!idle.clientChannelIsActive)
    }

    @Test("a request line without a version behind a request in flight: the request is answered, then 400")
    func requestLineWithoutVersionBehindRequestInFlight() {
        runHarness(Wire.get + "POST /x\r\nHost: a\r\n\r\n") { harness in
            #expect(harness.clientReceived.text.hasPrefix(Wire.ok + "HTTP/1.1 400 Bad Request\r\n"))
            #expect(harness.clientOutputClosed)
            #expect(harness.upstreamConnections.map(\.text) == [Wire.getUpstream])
        }
    }

    @Test("the production decoder's limits apply: 257 header fields get 431 and nothing goes upstream")
    func headerFieldLimit() {
        let fields = (0..<257).map { "X-\($0): v\r\n" }.joined()
        runHarness(Wire.request("GET", "/api/v1/pods", headers: fields)) { harness in
            #expect(harness.clientReceived.text.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"))
            #expect(harness.upstreamConnections == [])
            #expect(harness.clientOutputClosed)
        }
    }
}
