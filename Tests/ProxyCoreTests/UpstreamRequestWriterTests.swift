import NIOCore
import NIOHTTP1
import Testing
@testable import ProxyCore

@Suite("Upstream request writer: the proxy frames what it sends")
struct UpstreamRequestWriterTests {
    private let allocator = ByteBufferAllocator()

    private func encode(_ head: HTTPRequestHead, framing: RequestBodyFraming, body: [String] = [],
                        writer: inout UpstreamRequestWriter) throws -> String {
        var out = try writer.encodeHead(head, host: "api:6443", framing: framing, allocator: allocator)
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
            _ = try writer.encodeHead(head, host: "api", framing: .none, allocator: allocator)
        }
    }

    @Test("targets and methods with spaces or controls are refused")
    func unsafeLine() {
        var writer = UpstreamRequestWriter()
        for head in [HTTPRequestHead(version: .http1_1, method: .GET, uri: "/a b"),
                     HTTPRequestHead(version: .http1_1, method: .GET, uri: ""),
                     HTTPRequestHead(version: .http1_1, method: .RAW(value: "GE T"), uri: "/")] {
            #expect(throws: UpstreamRequestWriter.Failure.unsafeHead) {
                _ = try writer.encodeHead(head, host: "api", framing: .none, allocator: allocator)
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
}
