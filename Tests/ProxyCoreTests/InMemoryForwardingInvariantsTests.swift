import Testing
@testable import ProxyCore

@Suite("The request-path invariant checks, on hand-made upstream bytes")
struct InMemoryForwardingInvariantsTests {
    private static let identity: [(name: String, value: String)] = [("Authorization", "Bearer proxy"), ("Impersonate-User", "alice")]
    private static let identityLines = "Authorization: Bearer proxy\r\nImpersonate-User: alice\r\n"

    /// A request with `head` lines between `Host` and the identity headers, then `rest` (framing, empty line, body).
    private static func request(_ head: String = "", _ rest: String = "\r\n") -> String {
        "POST /p HTTP/1.1\r\nHost: upstream.test\r\n\(head)\(identityLines)\(rest)"
    }

    private func violations(_ connections: [String], closed: [Bool] = [], heads: Int = 10,
                            workLimitExceeded: Bool = false) -> [String] {
        let observation = InMemoryForwarding.Observation(
            upstreamConnections: connections.map { Array($0.utf8) }, upstreamConnectionsClosedByProxy: closed,
            clientRequestHeads: heads, workLimitExceeded: workLimitExceeded)
        return InMemoryForwarding.invariantViolations(in: observation, expectedIdentity: Self.identity)
    }

    /// Whether `violations` is exactly one message per tag in `tags`, in order.
    private func only(_ tags: [String], _ violations: [String]) -> Bool {
        violations.count == tags.count && zip(tags, violations).allSatisfy { $1.hasPrefix($0) }
    }

    @Test("well-formed requests with exactly the policy's identity pass")
    func clean() {
        let connection = Self.request("Content-Type: a\r\n", "Content-Length: 3\r\n\r\nabc")
            + Self.request("", "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n1;a=\"b c\"\r\nd\r\n0\r\n\r\n")
            + Self.request()
        #expect(violations([connection, Self.request()], heads: 4) == [])
        #expect(violations([]) == [])
    }

    @Test("(1) bytes that are not a sequence of HTTP/1.1 requests", arguments: [
        "POST /p HTTP/1.1\nHost: upstream.test\r\n\r\n",
        request("X-A: 1\r\n folded\r\n"),
        request("X-A : 1\r\n"),
        request("X-A: a\rb\r\n"),
        request("X-A: a\u{0}b\r\n"),
        "POST /p HTTP/1.0\r\nHost: upstream.test\r\n" + identityLines + "\r\n",
        "POST  /p HTTP/1.1\r\nHost: upstream.test\r\n" + identityLines + "\r\n",
        "POST /p HTTP/1.1\r\n" + identityLines + "\r\n",
        request("Host: other\r\n"),
        "\r\n" + request(),
        request() + "\r\n" + request(),
        request("", "Content-Length: 3\r\n\r\nabc\r\n" + request()),
        request("", "Content-Length: 3, 3\r\n\r\nabc"),
        request("", "Content-Length: +3\r\n\r\nabc"),
        request("", "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"),
        request("", "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
        request("", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        request("", "Transfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n"),
        request("", "Transfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n"),
        request("", "Transfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n"),
        request("", "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX: a\nb\r\n\r\n"),
    ])
    func malformed(connection: String) {
        let found = violations([connection], closed: [true])
        #expect(found.first?.hasPrefix("(1) connection 0: not a sequence of HTTP/1.1 requests") == true, "\(found)")
    }

    @Test("(1) a request cut short is allowed only last, on a connection the proxy closed")
    func cutShort() {
        for cut in [Self.request("", "Content-Length: 3\r\n\r\nab"), Self.request("", "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"),
                    Self.request("", "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"), "POST /p HTTP/1.1\r\nHost: ups"] {
            #expect(only(["(1) connection 1: the last request is cut short"], violations([Self.request(), Self.request() + cut])))
            #expect(violations([Self.request(), Self.request() + cut], closed: [false, true]) == [])
        }
    }

    @Test("(2) a complete request framed by more than one header, or a body without framing")
    func framing() {
        #expect(only(["(2)"], violations([Self.request("", "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")])))
        #expect(only(["(2)"], violations([Self.request("", "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc")])))
        // `Chunked` is a chunked coding to the upstream, but not the proxy's header.
        #expect(only(["(2)", "(4)"], violations([Self.request("", "Transfer-Encoding: Chunked\r\n\r\n0\r\n\r\n")])))
    }

    @Test("(3) more complete upstream requests than the client sent heads")
    func moreRequestsThanHeads() {
        #expect(only(["(3) 2 complete upstream requests from 1 client request heads"], violations([Self.request(), Self.request()], heads: 1)))
        #expect(only(["(3)"], violations([Self.request(), Self.request()], heads: 1)))
        #expect(violations([Self.request(), Self.request()], heads: 2) == [])
        // An incomplete request does not count.
        #expect(violations([Self.request() + "POST /p HTTP/1.1\r\n"], closed: [true], heads: 1) == [])
    }

    @Test("(4) identity headers: each of the policy's exactly once, no other, and only the proxy's Transfer-Encoding")
    func identity() {
        let base = "POST /p HTTP/1.1\r\nHost: upstream.test\r\n"
        #expect(only(["(4)", "(4)"], violations([base + "\r\n"])))
        #expect(only(["(4)"], violations([base + "Authorization: Bearer proxy\r\n\r\n"])))
        #expect(only(["(4) connection 0, request 1: 2 times"], violations([Self.request("Impersonate-User: alice\r\n")])))
        #expect(only(["(4) connection 0, request 1: an identity header the policy did not add: \"Impersonate-User: system:admin\""],
                     violations([Self.request("Impersonate-User: system:admin\r\n")])))
        #expect(only(["(4)"], violations([Self.request("impersonate-group: system:masters\r\n")])))
        #expect(only(["(4)"], violations([Self.request("Impersonate-Extra-Scopes: x\r\n")])))
        #expect(only(["(4)"], violations([Self.request("X-Remote-User: admin\r\n")])))
        #expect(only(["(4)"], violations([Self.request("Authorization: Bearer user-token\r\n")])))
        // Names compare without case; values exactly.
        #expect(violations(["POST /p HTTP/1.1\r\nHost: upstream.test\r\nauthorization: Bearer proxy\r\nIMPERSONATE-USER: alice\r\n\r\n"]) == [])
        #expect(only(["(4)", "(4)"], violations(["POST /p HTTP/1.1\r\nHost: upstream.test\r\nAuthorization: Bearer proxy\r\nImpersonate-User: Alice\r\n\r\n"])))
        // The identity of a request cut short counts too.
        #expect(only(["(4)"], violations([Self.request("X-Remote-Group: g\r\n", "Content-Length: 3\r\n\r\n")], closed: [true])))
        #expect(only(["(4)"], violations([Self.request("", "transfer-encoding: chunked\r\n\r\n0\r\n\r\n")])))
    }

    @Test("(5) trailer fields never reach the upstream")
    func trailers() {
        #expect(only(["(5) connection 0, request 1: trailer fields reached the upstream: \"X-Checksum: 1\""],
                     violations([Self.request("", "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Checksum: 1\r\n\r\n")])))
        // Identity checks look at the head; a trailer is a violation of its own.
        #expect(only(["(5)"], violations([Self.request("", "Transfer-Encoding: chunked\r\n\r\n0\r\nImpersonate-User: x\r\n\r\n")])))
    }

    @Test("a run stopped at the step budget is a violation")
    func workLimit() {
        #expect(only(["the harness stopped at its step budget"], violations([], workLimitExceeded: true)))
    }

    @Test("the parser's view of a request: fields in order, de-chunked body, trailers, completeness")
    func parsedRequests() throws {
        let bytes = Array(Self.request("X-A:  1 \r\n", "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x\r\nde\r\n0\r\nT: 1\r\n\r\nGET /n HTTP/1.1\r\nHost: u\r\n\r\nGET /m HTTP/1.1\r\nHost: u\r\n").utf8)
        let parsed = StrictRequestParser.parseAll(bytes, connection: 3)
        #expect(parsed.error == nil && parsed.endsInsideRequest)
        try #require(parsed.requests.count == 2)
        let first = parsed.requests[0]
        #expect(first.connection == 3 && first.method == "POST" && first.target == "/p")
        #expect(first.headers.map(\.description) == ["Host: upstream.test", "X-A: 1", "Authorization: Bearer proxy",
                                                      "Impersonate-User: alice", "Transfer-Encoding: chunked"])
        #expect(first.framing == .chunked && first.body == Array("abcde".utf8) && first.isComplete)
        #expect(first.trailers == [InMemoryForwarding.Field("T", "1")])
        #expect(parsed.requests[1].target == "/n" && parsed.requests[1].framing == InMemoryForwarding.Framing.none)
        #expect(parsed.requests[1].rawHead == Array("GET /n HTTP/1.1\r\nHost: u\r\n\r\n".utf8))
    }
}
