@testable import ServiceSupport
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import ProxyCore

/// Gives tests a channel context to write through a ``ClientResponseWriter``.
private final class WriterProbe: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    var writer = ClientResponseWriter()
    var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }
}

/// Runs `body` with a writer on an embedded channel and returns everything written, as text.
private func written(_ body: (inout ClientResponseWriter, ChannelHandlerContext) -> Void) throws -> String {
    let probe = WriterProbe()
    let channel = EmbeddedChannel(handler: probe)
    body(&probe.writer, probe.context!)
    channel.flush()
    var text = ""
    while let part = try channel.readOutbound(as: IOData.self) {
        guard case .byteBuffer(let buffer) = part else { continue }
        text += String(buffer: buffer)
    }
    _ = try channel.finish()
    return text
}

private func upstreamHead(_ text: String, method: HTTPMethod = .GET) throws -> UpstreamResponseHead {
    var framer = UpstreamResponseFramer(maximumHeadBytes: 4096)
    framer.requestSent(method: method)
    var buffer = ByteBuffer(string: text)
    guard case .head(let head)? = try framer.nextPart(&buffer) else { throw UpstreamResponseError.truncated }
    return head
}

@Suite("Client response writer")
struct ClientResponseWriterTests {
    @Test("a relayed head keeps end-to-end lines in order, drops hop-by-hop ones, and takes the policy's headers")
    func relayedHead() throws {
        let upstream = try upstreamHead("HTTP/1.1 200 OK\r\nDate: today\r\nConnection: keep-alive, X-Hop\r\nX-Hop: secret\r\n"
                                        + "Cache-Control: no-cache, private\r\nSet-Cookie: s=1\r\nContent-Type: application/json\r\n"
                                        + "Keep-Alive: timeout=5\r\nContent-Length: 2\r\nX-Last: z\r\n\r\n")
        let head = RelayedResponseHead(upstream: upstream, version: .http1_1, replacing: ["cache-control": "no-store"],
                                       appending: ["Set-Cookie": "p=2"], close: false)
        let text = try written { writer, context in
            writer.writeHead(head, context: context)
            writer.writeBody(ByteBuffer(string: "{}"), context: context)
            writer.writeEnd(context: context)
        }
        #expect(text == "HTTP/1.1 200 OK\r\nDate: today\r\nSet-Cookie: s=1\r\nContent-Type: application/json\r\nX-Last: z\r\n"
                + "cache-control: no-store\r\nSet-Cookie: p=2\r\nContent-Length: 2\r\n\r\n{}")
    }

    @Test("chunked upstream bodies are chunk-encoded for HTTP/1.1 clients, with trailers; HTTP/1.0 clients get them raw")
    func chunkedBodies() throws {
        let upstream = try upstreamHead("HTTP/1.1 201 Created Here\r\nTransfer-Encoding: chunked\r\n\r\n")
        let text = try written { writer, context in
            writer.writeHead(RelayedResponseHead(upstream: upstream, version: .http1_1, replacing: [:], appending: [:], close: true), context: context)
            writer.writeBody(ByteBuffer(string: String(repeating: "a", count: 26)), context: context)
            writer.writeBody(ByteBuffer(), context: context)
            writer.writeEnd(["X-Sum": "1"], context: context)
        }
        #expect(text == "HTTP/1.1 201 Created Here\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n1a\r\n"
                + String(repeating: "a", count: 26) + "\r\n0\r\nX-Sum: 1\r\n\r\n")

        let old = RelayedResponseHead(upstream: upstream, version: .http1_0, replacing: [:], appending: [:], close: true)
        #expect(old.needsCloseDelimiting)
        let oldText = try written { writer, context in
            writer.writeHead(old, context: context)
            writer.writeBody(ByteBuffer(string: "abc"), context: context)
            writer.writeEnd(context: context)
        }
        #expect(oldText == "HTTP/1.0 201 Created Here\r\nConnection: close\r\n\r\nabc")
    }

    @Test("responses without a body advertise the declared length and write none")
    func bodyless() throws {
        let head = try upstreamHead("HTTP/1.1 200 OK\r\nContent-Length: 500\r\nETag: x\r\n\r\n", method: .HEAD)
        let text = try written { writer, context in
            writer.writeHead(RelayedResponseHead(upstream: head, version: .http1_1, replacing: [:], appending: [:], close: false), context: context)
            writer.writeEnd(context: context)
        }
        #expect(text == "HTTP/1.1 200 OK\r\nETag: x\r\nContent-Length: 500\r\n\r\n")
        let noContent = try upstreamHead("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
        let noContentText = try written { writer, context in
            writer.writeHead(RelayedResponseHead(upstream: noContent, version: .http1_1, replacing: [:], appending: [:], close: false), context: context)
            writer.writeEnd(context: context)
        }
        #expect(noContentText == "HTTP/1.1 204 No Content\r\n\r\n")
    }

    @Test("local heads are framed like NIO's encoder: chunked without a length, no body for HEAD or a 101")
    func localHeads() throws {
        let chunked = try written { writer, context in
            writer.writeHead(HTTPResponseHead(version: .http1_1, status: .ok, headers: ["Content-Type": "text/plain"]), requestMethod: .GET, context: context)
            writer.writeBody(ByteBuffer(string: "hi"), context: context)
            writer.writeEnd(context: context)
        }
        #expect(chunked == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n")
        let head = try written { writer, context in
            writer.writeHead(HTTPResponseHead(version: .http1_1, status: .notFound, headers: ["Content-Length": "9"]), requestMethod: .HEAD, context: context)
            writer.writeBody(ByteBuffer(string: "not found"), context: context)
            writer.writeEnd(context: context)
        }
        #expect(head == "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n")
        let switching = try written { writer, context in
            writer.writeHead(HTTPResponseHead(version: .http1_1, status: .switchingProtocols,
                                              headers: ["Upgrade": "SPDY/3.1", "Connection": "Upgrade", "Content-Length": "0"]),
                             requestMethod: .GET, context: context)
            writer.writeEnd(context: context)
        }
        #expect(switching == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nConnection: Upgrade\r\n\r\n")
    }
}
