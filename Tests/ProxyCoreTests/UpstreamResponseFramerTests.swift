import NIOCore
import NIOHTTP1
import Testing
@testable import ProxyCore

/// What a framer made of some bytes: parts in a comparable form.
private enum Framed: Equatable {
    case head(status: Int, framing: UpstreamResponseHead.BodyFraming, keepAlive: Bool)
    case body(String)
    case end(trailers: [String])
}

/// Feeds `text` to a framer in pieces of `step` bytes (all at once when nil), coalescing adjacent body parts.
private func frame(_ text: String, step: Int? = nil, method: HTTPMethod = .GET, atEOF: Bool = false,
                   framer: inout UpstreamResponseFramer) throws -> [Framed] {
    framer.requestSent(method: method)
    var parts: [Framed] = []
    func append(_ part: UpstreamResponsePart) {
        switch part {
        case .head(let head):
            parts.append(.head(status: Int(head.status.code), framing: head.framing, keepAlive: head.isKeepAlive))
        case .body(let bytes):
            if case .body(let previous)? = parts.last {
                parts[parts.count - 1] = .body(previous + String(buffer: bytes))
            } else {
                parts.append(.body(String(buffer: bytes)))
            }
        case .end(let trailers):
            parts.append(.end(trailers: trailers.map { $0.map { "\($0.name): \($0.value)" } } ?? []))
        }
    }
    let bytes = Array(text.utf8)
    var buffer = ByteBuffer()
    var offset = 0
    repeat {
        let next = min(bytes.count, offset + (step ?? bytes.count))
        buffer.writeBytes(bytes[offset..<next])
        offset = next
        while let part = try framer.nextPart(&buffer) { append(part) }
    } while offset < bytes.count
    if atEOF, let part = try framer.endOfInput(buffer) { append(part) }
    return parts
}

private func frame(_ text: String, step: Int? = nil, method: HTTPMethod = .GET, atEOF: Bool = false) throws -> [Framed] {
    var framer = UpstreamResponseFramer(maximumHeadBytes: 4096)
    return try frame(text, step: step, method: method, atEOF: atEOF, framer: &framer)
}

/// The one head in `text`, parsed.
private func head(_ text: String, method: HTTPMethod = .GET) throws -> UpstreamResponseHead {
    var framer = UpstreamResponseFramer(maximumHeadBytes: 4096)
    framer.requestSent(method: method)
    var buffer = ByteBuffer(string: text)
    guard case .head(let head)? = try framer.nextPart(&buffer) else {
        Issue.record("no head")
        throw UpstreamResponseError.truncated
    }
    return head
}

@Suite("Upstream response framing")
struct UpstreamResponseFramerTests {
    @Test("a Content-Length body, whole or a byte at a time")
    func contentLength() throws {
        let text = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\":\"bc\"}\n"
        let expected: [Framed] = [.head(status: 200, framing: .contentLength(11), keepAlive: true), .body("{\"a\":\"bc\"}\n"), .end(trailers: [])]
        #expect(try frame(text) == expected)
        #expect(try frame(text, step: 1) == expected)
    }

    @Test("chunked bodies with extensions and trailers are de-chunked, in any split")
    func chunked() throws {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n1A\r\n abcdefghijklmnopqrstuvwxy\r\n0\r\nX-Checksum: 42\r\nX-Other: a b\r\n\r\n"
        let expected: [Framed] = [.head(status: 200, framing: .chunked, keepAlive: true),
                                  .body("hello abcdefghijklmnopqrstuvwxy"), .end(trailers: ["X-Checksum: 42", "X-Other: a b"])]
        for step in [nil, 1, 2, 3, 7] {
            #expect(try frame(text, step: step) == expected, "step \(String(describing: step))")
        }
        let plain = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
        #expect(try frame(plain, step: 1) == [.head(status: 200, framing: .chunked, keepAlive: true), .body("abc"), .end(trailers: [])])
    }

    @Test("responses on one connection follow each other: HEAD, 204 and 304 have no body whatever they declare")
    func bodylessResponses() throws {
        var framer = UpstreamResponseFramer(maximumHeadBytes: 4096)
        #expect(try frame("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n", method: .HEAD, framer: &framer)
                == [.head(status: 200, framing: .none, keepAlive: true), .end(trailers: [])])
        #expect(try frame("HTTP/1.1 204 No Content\r\n\r\n", framer: &framer) == [.head(status: 204, framing: .none, keepAlive: true), .end(trailers: [])])
        #expect(try frame("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", framer: &framer)
                == [.head(status: 304, framing: .none, keepAlive: true), .end(trailers: [])])
        #expect(try frame("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", framer: &framer)
                == [.head(status: 200, framing: .contentLength(2), keepAlive: true), .body("ok"), .end(trailers: [])])
        let response = try head("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n", method: .HEAD)
        #expect(response.declaredContentLength == 500)
    }

    @Test("interim 1xx responses are dropped; a 101 ends HTTP and leaves what follows unread")
    func informational() throws {
        #expect(try frame("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", step: 5)
                == [.head(status: 201, framing: .contentLength(0), keepAlive: true), .end(trailers: [])])
        var framer = UpstreamResponseFramer(maximumHeadBytes: 4096)
        framer.requestSent(method: .GET)
        var buffer = ByteBuffer(string: "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n\u{1}\u{2}spdy")
        guard case .head(let head)? = try framer.nextPart(&buffer) else { Issue.record("no head"); return }
        #expect(head.status == .switchingProtocols)
        #expect(head.isKeepAlive == false)
        #expect(head.headers["upgrade"] == ["SPDY/3.1"])
        guard case .end? = try framer.nextPart(&buffer) else { Issue.record("no end"); return }
        #expect(framer.hasSwitchedProtocols)
        #expect(try framer.nextPart(&buffer) == nil)
        #expect(String(buffer: buffer) == "\u{1}\u{2}spdy")
    }

    @Test("a body without a length lasts until the close, and the connection is not reused")
    func untilClose() throws {
        #expect(try frame("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it", step: 4, atEOF: true)
                == [.head(status: 200, framing: .untilClose, keepAlive: false), .body("all of it"), .end(trailers: [])])
        #expect(try frame("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nxyz", atEOF: true)
                == [.head(status: 200, framing: .untilClose, keepAlive: false), .body("xyz"), .end(trailers: [])])
    }

    @Test("keep-alive follows the version and the Connection header")
    func keepAlive() throws {
        #expect(try head("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").isKeepAlive == false)
        #expect(try head("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").isKeepAlive == false)
        #expect(try head("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n").isKeepAlive == true)
        #expect(try head("HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n").isKeepAlive == false)
    }

    @Test("header lines get their roles: hop-by-hop (fixed or listed in Connection), framing, end-to-end")
    func roles() throws {
        let response = try head("HTTP/1.1 200 Fine Thanks\r\nServer: x\r\nConnection: X-Secret, keep-alive\r\nKeep-Alive: timeout=5\r\n"
                                + "x-secret: 1\r\nTransfer-Encoding: chunked\r\nUpgrade: h2c\r\nProxy-Authenticate: Basic\r\nSet-Cookie:  a=1 \r\n\r\n")
        let roles = response.fields.map { (String(decoding: response.name(of: $0), as: UTF8.self), $0.role) }
        #expect(roles.map(\.0) == ["Server", "Connection", "Keep-Alive", "x-secret", "Transfer-Encoding", "Upgrade", "Proxy-Authenticate", "Set-Cookie"])
        #expect(roles.map(\.1) == [.endToEnd, .hopByHop, .hopByHop, .hopByHop, .transferEncoding, .hopByHop, .hopByHop, .endToEnd])
        #expect(String(decoding: response.value(of: response.fields[7]), as: UTF8.self) == "a=1")
        let reason = response.bytes.getString(at: response.bytes.readerIndex + Int(response.reasonStart),
                                              length: Int(response.reasonEnd - response.reasonStart))
        #expect(reason == "Fine Thanks")
        let lengths = try head("HTTP/1.1 200 OK\r\nContent-Length: 7, 7\r\ncontent-length: 7\r\n\r\n")
        #expect(lengths.framing == .contentLength(7))
        #expect(lengths.fields.allSatisfy { $0.role == .contentLength })
        #expect(try head("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n").reasonStart == 12)
    }

    @Test("malformed or ambiguous responses are refused", arguments: [
        ("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", UpstreamResponseError.malformedStatusLine),
        ("HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n\r\n", .malformedHeaderLine),
        ("HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n", .malformedHeaderLine),
        ("HTTP/1.1 200 OK\r\nX-A : 1\r\nContent-Length: 0\r\n\r\n", .malformedHeaderLine),
        ("HTTP/1.1 200 OK\r\n: empty\r\nContent-Length: 0\r\n\r\n", .malformedHeaderLine),
        ("HTTP/1.1 200 OK\r\nX(A): 1\r\nContent-Length: 0\r\n\r\n", .malformedHeaderLine),
        ("HTTP/1.1 200 OK\r\nX-A: a\u{0}b\r\nContent-Length: 0\r\n\r\n", .malformedHeaderLine),
        ("HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n", .malformedHeaderLine),
        ("HTTP/1.1 200 OK\r\nNoColon\r\nContent-Length: 0\r\n\r\n", .malformedHeaderLine),
        ("HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n", .invalidContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", .invalidContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", .invalidContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", .invalidContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", .invalidContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", .invalidContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", .conflictingFraming),
        ("HTTP/2.0 200 OK\r\n\r\n", .malformedStatusLine),
        ("HTTP/1.1 20 OK\r\n\r\n", .malformedStatusLine),
        ("HTTP/1.1 099 Low\r\n\r\n", .malformedStatusLine),
        ("HTTP/1.1  200 OK\r\n\r\n", .malformedStatusLine),
        ("HTTP/1.1 200OK\r\n\r\n", .malformedStatusLine),
        ("http/1.1 200 OK\r\n\r\n", .malformedStatusLine),
        ("ICY 200 OK\r\n\r\n", .malformedStatusLine),
        ("\r\n\r\n", .malformedStatusLine),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .malformedChunk),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n", .malformedChunk),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n", .malformedChunk),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3 x\r\nabc\r\n", .malformedChunk),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000\r\n", .malformedChunk),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n", .malformedChunk),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer\r\n\r\n", .malformedHeaderLine),
    ])
    func refused(text: String, error: UpstreamResponseError) {
        #expect(throws: error) { _ = try frame(text) }
        #expect(throws: error) { _ = try frame(text, step: 1) }
    }

    @Test("heads and chunk lines over their limits are refused, a response cut short is an error")
    func limitsAndTruncation() throws {
        var framer = UpstreamResponseFramer(maximumHeadBytes: 100)
        let large = "HTTP/1.1 200 OK\r\nX-Large: " + String(repeating: "a", count: 200) + "\r\n\r\n"
        #expect(throws: UpstreamResponseError.headTooLarge) { _ = try frame(large, framer: &framer) }
        framer = UpstreamResponseFramer(maximumHeadBytes: 100)
        #expect(throws: UpstreamResponseError.headTooLarge) { _ = try frame(String(large.prefix(150)), step: 10, framer: &framer) }
        let longLine = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "e", count: 5000)
        #expect(throws: UpstreamResponseError.malformedChunk) { _ = try frame(longLine) }
        #expect(throws: UpstreamResponseError.truncated) { _ = try frame("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", atEOF: true) }
        #expect(throws: UpstreamResponseError.truncated) { _ = try frame("HTTP/1.1 200 OK\r\nContent-Le", atEOF: true) }
        #expect(throws: UpstreamResponseError.truncated) {
            _ = try frame("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", atEOF: true)
        }
        // A close between responses is no error.
        #expect(try frame("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", atEOF: true).count == 3)
    }
}
