import NIOCore
import NIOHTTP1
import ServiceSupport

/// An upstream response head and what changes on its way to the client.
struct RelayedResponseHead {
    /// The head as the upstream sent it.
    var upstream: UpstreamResponseHead
    /// The client's protocol version (the status line says it).
    var version: HTTPVersion
    /// Headers set in place of the upstream's of the same names.
    var replacing: HTTPHeaders
    /// Headers added next to the upstream's.
    var appending: HTTPHeaders
    /// Add `Connection: close`: the proxy closes the client connection after this response.
    var close: Bool

    /// Whether a body reaching the client must be closed by closing the connection (an HTTP/1.0 client and an
    /// upstream body without a length).
    var needsCloseDelimiting: Bool {
        switch upstream.framing {
        case .none, .contentLength: return false
        case .chunked, .untilClose: return version.minor == 0
        }
    }
}

extension ClientResponseWriter {
    /// Writes a relayed upstream head.
    mutating func writeHead(_ head: RelayedResponseHead, context: ChannelHandlerContext, promise: EventLoopPromise<Void>? = nil) {
        let upstream = head.upstream
        suppressBody = false
        isChunked = false
        var buffer = spareHeadBuffer.takeSpare(capacity: upstream.bytes.readableBytes + 64 + Self.size(of: head.replacing)
                                                         + Self.size(of: head.appending), allocator: context.channel.allocator)
        Self.writeStatusLine(version: head.version, code: upstream.status.code, &buffer)
        let base = upstream.bytes.readerIndex
        buffer.writeImmutableBuffer(upstream.bytes.getSlice(at: base + Int(upstream.reasonStart),
                                                            length: Int(upstream.reasonEnd - upstream.reasonStart))!)
        buffer.writeStaticString("\r\n")

        // Kept lines are copied in runs: consecutive lines are contiguous in the upstream's bytes.
        var runStart = -1
        var runEnd = -1
        for field in upstream.fields {
            let kept = field.role == .endToEnd && (head.replacing.isEmpty || !Self.isReplaced(field, in: upstream, by: head.replacing))
            if kept {
                let start = Int(field.nameStart)
                if start != runEnd {
                    if runStart >= 0 { buffer.writeImmutableBuffer(upstream.bytes.getSlice(at: base + runStart, length: runEnd - runStart)!) }
                    runStart = start
                }
                runEnd = Int(field.lineEnd) + 2
            }
        }
        if runStart >= 0 { buffer.writeImmutableBuffer(upstream.bytes.getSlice(at: base + runStart, length: runEnd - runStart)!) }
        Self.write(head.replacing, to: &buffer)
        Self.write(head.appending, to: &buffer)

        let code = upstream.status.code
        switch upstream.framing {
        case .none:
            // A response to HEAD, or a 304, may advertise the length a GET would have had.
            if let length = upstream.declaredContentLength, code >= 200, code != 204 {
                buffer.writeStaticString("Content-Length: ")
                buffer.writeString(String(length))
                buffer.writeStaticString("\r\n")
            }
        case .contentLength(let length):
            buffer.writeStaticString("Content-Length: ")
            buffer.writeString(String(length))
            buffer.writeStaticString("\r\n")
        case .chunked, .untilClose:
            if head.version.minor >= 1 {
                buffer.writeStaticString("Transfer-Encoding: chunked\r\n")
                isChunked = true
            }
        }
        if head.close { buffer.writeStaticString("Connection: close\r\n") }
        buffer.writeStaticString("\r\n")
        spareHeadBuffer = isChunked || upstream.framing == .untilClose ? nil : buffer
        context.write(Self.wrap(buffer), promise: promise)
    }

    private static func isReplaced(_ field: UpstreamResponseHead.Field, in head: UpstreamResponseHead, by headers: HTTPHeaders) -> Bool {
        let name = head.name(of: field)
        for (replacement, _) in headers where replacement.utf8.count == name.count {
            var matches = true
            for (a, b) in zip(replacement.utf8, name) where HTTPSyntax.lowered(a) != HTTPSyntax.lowered(b) {
                matches = false
                break
            }
            if matches { return true }
        }
        return false
    }
}
