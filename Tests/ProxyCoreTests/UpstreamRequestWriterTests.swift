import NIOCore
import NIOHTTP1
import Testing
@testable import ProxyCore

@Suite("Upstream request writer: the proxy frames what it sends")
struct UpstreamRequestWriterTests {
    private let allocator = ByteBufferAllocator()

    private func encode(_ head: HTTPRequestHead, framing: RequestBodyFraming, body: [String] = [],
                        writer: inout UpstreamRequestWriter) throws -> String {
        try encode(.made(head), framing: framing, body: body, writer: &writer)
    }

    private func encode(_ head: UpstreamRequestHead, framing: RequestBodyFraming, body: [String] = [], isUpgrade: Bool = false,
                        writer: inout UpstreamRequestWriter) throws -> String {
        var out = try writer.encodeHead(head, host: "api:6443", framing: framing, isUpgrade: isUpgrade, allocator: allocator)
        for part in body {
            try writer.writeBody(ByteBuffer(string: part), allocator: allocator) { var b = $0; out.writeBuffer(&b) }
        }
        try writer.writeEnd(allocator: allocator) { var b = $0; out.writeBuffer(&b) }
        return String(buffer: out)
    }

    @Test("the head gets the upstream's Host and the proxy's framing; the head's own framing headers are ignored")
    func head() throws {
        var writer = UpstreamRequestWriter()
        let head = HTTPRequestHead(version: .http1_0, method: .DELETE, uri: "/api/v1/x?y=1", headers: [
            "Host": "client", "Content-Length": "999", "Accept": "*/*", "Transfer-Encoding": "gzip", "X-Empty": "",
        ])
        let text = try encode(head, framing: .length(3), body: ["a", "bc"], writer: &writer)
        #expect(text == "DELETE /api/v1/x?y=1 HTTP/1.1\r\nHost: api:6443\r\nAccept: */*\r\nX-Empty: \r\nContent-Length: 3\r\n\r\nabc")
    }

    @Test("chunked bodies are chunk-encoded here and end with an empty trailer section")
    func chunked() throws {
        var writer = UpstreamRequestWriter()
        let text = try encode(HTTPRequestHead(version: .http1_1, method: .POST, uri: "/p"), framing: .chunked,
                              body: ["hello", "", String(repeating: "x", count: 17)], writer: &writer)
        #expect(text == "POST /p HTTP/1.1\r\nHost: api:6443\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n11\r\n"
                + String(repeating: "x", count: 17) + "\r\n0\r\n\r\n")
    }

    @Test("a body that does not fit its framing is refused", arguments: [
        (RequestBodyFraming.none, ["x"]), (.length(2), ["abc"]), (.length(2), ["a"]),
    ])
    func lengthMismatch(framing: RequestBodyFraming, body: [String]) {
        var writer = UpstreamRequestWriter()
        #expect(throws: UpstreamRequestWriter.Failure.self) {
            _ = try encode(HTTPRequestHead(version: .http1_1, method: .PUT, uri: "/p"), framing: framing, body: body, writer: &writer)
        }
    }

    @Test("heads that would not arrive exactly are refused", arguments: [
        ("X-A", "line\r\nInjected: 1"), ("X-A", " leading"), ("X-A", "trailing\t"), ("X-A", "nul\u{0}"),
        ("X-A", "del\u{7F}"), ("Bad Name", "v"), ("Bad:Name", "v"), ("", "v"), ("Impersonate-User", " system:admin"),
    ])
    func unsafeHeads(name: String, value: String) {
        var writer = UpstreamRequestWriter()
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/p", headers: HTTPHeaders([(name, value)]))
        #expect(throws: UpstreamRequestWriter.Failure.unsafeHead) {
            _ = try writer.encodeHead(.made(head), host: "api", framing: .none, isUpgrade: false, allocator: allocator)
        }
    }

    @Test("targets and methods with spaces or controls are refused")
    func unsafeLine() {
        var writer = UpstreamRequestWriter()
        for head in [HTTPRequestHead(version: .http1_1, method: .GET, uri: "/a b"),
                     HTTPRequestHead(version: .http1_1, method: .GET, uri: ""),
                     HTTPRequestHead(version: .http1_1, method: .RAW(value: "GE T"), uri: "/")] {
            #expect(throws: UpstreamRequestWriter.Failure.unsafeHead) {
                _ = try writer.encodeHead(.made(head), host: "api", framing: .none, isUpgrade: false, allocator: allocator)
            }
        }
    }

    @Test("values with inner blanks and non-ASCII bytes travel as they are")
    func ordinaryValues() throws {
        var writer = UpstreamRequestWriter()
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/p", headers: ["Impersonate-User": "Zoë Doe"])
        let text = try encode(head, framing: .none, writer: &writer)
        #expect(text == "GET /p HTTP/1.1\r\nHost: api:6443\r\nImpersonate-User: Zoë Doe\r\n\r\n")
    }

    // MARK: Relayed heads

    /// The head the decoder makes of `text`, screened.
    private func clientHead(_ text: String) throws -> RequestHead {
        var decoder = ClientRequestDecoder()
        var buffer = ByteBuffer(string: text)
        guard case .head(var head)? = try decoder.nextPart(&buffer) else { throw ClientRequestError.truncated }
        #expect(RequestScreen.screen(&head) == nil)
        return head
    }

    @Test("a relayed head sends the client's fields byte for byte, in order, without removed and filtered ones")
    func relayed() throws {
        var writer = UpstreamRequestWriter()
        let head = try clientHead("""
            GET /20210501/api/v1/pods?watch=1 HTTP/1.1\r\nHost: proxy\r\nAccept:  application/json \r\n\
            Authorization: Bearer t\r\nX-Remote-User: mallory\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n\
            x-forwarded-for: 10.0.0.1\r\nUser-Agent: kubectl/v1.32 (linux)\r\nX-Forwarded-For: 10.0.0.2\r\n\r\n
            """)
        let relayed = RelayedRequestHead(
            client: head, targetPrefix: "/k8s", targetBytesDropped: "/20210501".utf8.count,
            filter: ClientFieldFilter(names: ["authorization"], prefixes: ["x-remote-"]),
            forwardedFor: .merged(appending: "192.0.2.7"),
            addedFields: HTTPHeaders([("Authorization", "Bearer proxy"), ("Impersonate-User", "alice")]))
        let text = try encode(.relayed(relayed), framing: .none, writer: &writer)
        #expect(text == """
            GET /k8s/api/v1/pods?watch=1 HTTP/1.1\r\nHost: api:6443\r\nAccept: application/json\r\n\
            User-Agent: kubectl/v1.32 (linux)\r\nX-Forwarded-For: 10.0.0.1, 10.0.0.2, 192.0.2.7\r\n\
            Authorization: Bearer proxy\r\nImpersonate-User: alice\r\n\r\n
            """)
        #expect(ForwardPlan(upstream: UpstreamEndpoint(host: "api", port: 1, tlsContext: nil), relaying: relayed).head.uri
                == "/k8s/api/v1/pods?watch=1")
    }

    @Test("a relayed upgrade gets Connection: Upgrade from the proxy; the client's X-Forwarded-For goes as sent unless merged")
    func relayedUpgrade() throws {
        var writer = UpstreamRequestWriter()
        let head = try clientHead("POST /exec HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Forwarded-For: a\r\n\r\n")
        let text = try encode(.relayed(RelayedRequestHead(client: head)), framing: .none, isUpgrade: true, writer: &writer)
        #expect(text == "POST /exec HTTP/1.1\r\nHost: api:6443\r\nUpgrade: SPDY/3.1\r\nX-Forwarded-For: a\r\nConnection: Upgrade\r\n\r\n")
    }

    @Test("a merged X-Forwarded-For without the connection's address: the client's lines joined; none: no field")
    func relayedForwardedForWithoutAddress() throws {
        var writer = UpstreamRequestWriter()
        let head = try clientHead("GET /p HTTP/1.1\r\nX-Forwarded-For: 203.0.113.1\r\nx-forwarded-for: 198.51.100.7, 10.0.0.1\r\n\r\n")
        #expect(try encode(.relayed(RelayedRequestHead(client: head, forwardedFor: .merged(appending: nil))), framing: .none,
                           writer: &writer)
                == "GET /p HTTP/1.1\r\nHost: api:6443\r\nX-Forwarded-For: 203.0.113.1, 198.51.100.7, 10.0.0.1\r\n\r\n")
        let bare = try clientHead("GET /p HTTP/1.1\r\n\r\n")
        #expect(try encode(.relayed(RelayedRequestHead(client: bare, forwardedFor: .merged(appending: nil))), framing: .none,
                           writer: &writer) == "GET /p HTTP/1.1\r\nHost: api:6443\r\n\r\n")
    }

    @Test("a prefix replaced by a slash, and a merged X-Forwarded-For without a client value")
    func relayedSlash() throws {
        var writer = UpstreamRequestWriter()
        let head = try clientHead("GET /20210501?x=1 HTTP/1.1\r\n\r\n")
        let relayed = RelayedRequestHead(client: head, targetPrefix: "/", targetBytesDropped: 9, forwardedFor: .merged(appending: "::1"))
        #expect(try encode(.relayed(relayed), framing: .none, writer: &writer)
                == "GET /?x=1 HTTP/1.1\r\nHost: api:6443\r\nX-Forwarded-For: ::1\r\n\r\n")
    }

    @Test("impersonation goes last: the proxy's credential, the user, each group, the additional group")
    func relayedImpersonation() throws {
        var writer = UpstreamRequestWriter()
        let head = try clientHead("GET /api HTTP/1.1\r\nAccept: */*\r\n\r\n")
        let impersonation = ImpersonationFields(authorization: "Bearer proxy", user: "alice", groups: ["a,b", "c"],
                                                additionalGroup: "system:authenticated")
        let relayed = RelayedRequestHead(client: head, addedFields: HTTPHeaders([("X-Extra", "1")]), impersonation: impersonation)
        #expect(try encode(.relayed(relayed), framing: .none, writer: &writer) == """
            GET /api HTTP/1.1\r\nHost: api:6443\r\nAccept: */*\r\nX-Extra: 1\r\nAuthorization: Bearer proxy\r\n\
            Impersonate-User: alice\r\nImpersonate-Group: a,b\r\nImpersonate-Group: c\r\n\
            Impersonate-Group: system:authenticated\r\n\r\n
            """)
        let unsafe = RelayedRequestHead(client: head, impersonation: ImpersonationFields(
            authorization: nil, user: "alice\r\nImpersonate-User: admin", groups: [], additionalGroup: nil))
        #expect(throws: UpstreamRequestWriter.Failure.unsafeHead) {
            _ = try writer.encodeHead(.relayed(unsafe), host: "api", framing: .none, isUpgrade: false, allocator: allocator)
        }
    }

    @Test("the proxy's own parts of a relayed head are checked", arguments: [
        ("/a b", "ok", "X-A", "v"), ("/", "10.0.0.1\r\nX: 1", "X-A", "v"), ("/", "ok", "Bad Name", "v"), ("/", "ok", "X-A", " v"),
    ])
    func relayedUnsafe(prefix: String, address: String, name: String, value: String) throws {
        var writer = UpstreamRequestWriter()
        let head = try clientHead("GET /p HTTP/1.1\r\n\r\n")
        let relayed = RelayedRequestHead(client: head, targetPrefix: prefix, forwardedFor: .merged(appending: address),
                                         addedFields: HTTPHeaders([(name, value)]))
        #expect(throws: UpstreamRequestWriter.Failure.unsafeHead) {
            _ = try writer.encodeHead(.relayed(relayed), host: "api", framing: .none, isUpgrade: false, allocator: allocator)
        }
    }

    @Test("a head buffer is reused once the channel let go of it, never while it holds it, never after a release")
    func spareBuffer() throws {
        var writer = UpstreamRequestWriter()
        func encode(_ uri: String) throws -> ByteBuffer {
            try writer.encodeHead(.made(HTTPRequestHead(version: .http1_1, method: .GET, uri: uri)), host: "api",
                                  framing: .none, isUpgrade: false, allocator: allocator)
        }
        func address(_ buffer: ByteBuffer) -> UInt {
            buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        }
        var held = try encode("/one")
        var second = try encode("/two")
        #expect(address(second) != address(held))
        #expect(String(buffer: held) == "GET /one HTTP/1.1\r\nHost: api\r\n\r\n")
        let secondAddress = address(second)
        held = ByteBuffer()
        second = ByteBuffer()
        let third = try encode("/three")
        #expect(address(third) == secondAddress)
        #expect(String(buffer: third) == "GET /three HTTP/1.1\r\nHost: api\r\n\r\n")
        writer.releaseSpareBuffer()
        let thirdAddress = address(third)
        let fourth = try encode("/four")
        #expect(address(fourth) != thirdAddress)
    }
}
