import NIOCore
import NIOHTTP1

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

/// Encodes responses onto the client connection: local heads like NIO's `HTTPResponseEncoder`, relayed upstream
/// heads by copying the lines they keep (no strings), bodies as they are or chunk-encoded.
///
/// A value inside the handler that writes (no encoder handler of its own: one pipeline step and one boxed part
/// fewer per write). The channel below it takes `IOData`.
struct ClientResponseWriter {
    private var isChunked = false
    private var suppressBody = false

    private static func wrap(_ buffer: ByteBuffer) -> NIOAny { NIOAny(IOData.byteBuffer(buffer)) }

    // MARK: Heads

    /// Writes a head made here; its framing headers are corrected as NIO's encoder would, and `requestMethod`
    /// decides whether a body may follow.
    mutating func writeHead(_ head: HTTPResponseHead, requestMethod: HTTPMethod, context: ChannelHandlerContext,
                            promise: EventLoopPromise<Void>? = nil) {
        var headers = head.headers
        suppressBody = requestMethod == .HEAD || requestMethod == .CONNECT
        isChunked = false
        if requestMethod == .CONNECT || !head.status.mayHaveResponseBody {
            headers.remove(name: "content-length")
            headers.remove(name: "transfer-encoding")
        } else if headers.contains(name: "content-length") {
            headers.remove(name: "transfer-encoding")
        } else if head.version.major == 1 && head.version.minor >= 1 {
            headers.replaceOrAdd(name: "transfer-encoding", value: "chunked")
            isChunked = !suppressBody
        }
        var buffer = context.channel.allocator.buffer(capacity: 256)
        Self.writeStatusLine(version: head.version, code: head.status.code, &buffer)
        buffer.writeString(head.status.reasonPhrase)
        buffer.writeStaticString("\r\n")
        for (name, value) in headers {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
        context.write(Self.wrap(buffer), promise: promise)
    }

    /// Writes a relayed upstream head.
    mutating func writeHead(_ head: RelayedResponseHead, context: ChannelHandlerContext, promise: EventLoopPromise<Void>? = nil) {
        let upstream = head.upstream
        suppressBody = false
        isChunked = false
        var buffer = context.channel.allocator.buffer(capacity: upstream.bytes.readableBytes + 64 + Self.size(of: head.replacing)
                                                      + Self.size(of: head.appending))
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
        context.write(Self.wrap(buffer), promise: promise)
    }

    private static func writeStatusLine(version: HTTPVersion, code: UInt, _ buffer: inout ByteBuffer) {
        if version.major == 1 && version.minor == 0 {
            buffer.writeStaticString("HTTP/1.0 ")
        } else {
            buffer.writeStaticString("HTTP/1.1 ")
        }
        let code = min(code, 999)
        buffer.writeInteger(UInt8(0x30 + code / 100))
        buffer.writeInteger(UInt8(0x30 + code / 10 % 10))
        buffer.writeInteger(UInt8(0x30 + code % 10))
        buffer.writeInteger(UInt8(ascii: " "))
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

    private static func size(of headers: HTTPHeaders) -> Int {
        var size = 0
        for (name, value) in headers { size += name.utf8.count + value.utf8.count + 4 }
        return size
    }

    private static func write(_ headers: HTTPHeaders, to buffer: inout ByteBuffer) {
        for (name, value) in headers {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
    }

    // MARK: Bodies

    /// Writes body bytes (chunk-encoded when the response is chunked; dropped for a response that has no body).
    mutating func writeBody(_ body: ByteBuffer, context: ChannelHandlerContext, promise: EventLoopPromise<Void>? = nil) {
        if suppressBody {
            promise?.succeed()
            return
        }
        guard isChunked, body.readableBytes > 0 else {
            context.write(Self.wrap(body), promise: promise)
            return
        }
        // Size line, data, CRLF: the data is not copied; the CRLF is the tail of the size line's buffer.
        var sizeLine = context.channel.allocator.buffer(capacity: 24)
        sizeLine.writeString(String(body.readableBytes, radix: 16))
        sizeLine.writeStaticString("\r\n")
        context.write(Self.wrap(sizeLine), promise: nil)
        context.write(Self.wrap(body), promise: nil)
        sizeLine.moveReaderIndex(forwardBy: sizeLine.readableBytes - 2)
        context.write(Self.wrap(sizeLine), promise: promise)
    }

    /// Writes the end of the response, with trailer fields for a chunked one.
    mutating func writeEnd(_ trailers: HTTPHeaders? = nil, context: ChannelHandlerContext, promise: EventLoopPromise<Void>? = nil) {
        defer {
            isChunked = false
            suppressBody = false
        }
        guard isChunked else {
            // Nothing to write; an empty write keeps the promise in order with the writes before it.
            if let promise { context.write(Self.wrap(ByteBuffer()), promise: promise) }
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 16)
        buffer.writeStaticString("0\r\n")
        if let trailers { Self.write(trailers, to: &buffer) }
        buffer.writeStaticString("\r\n")
        context.write(Self.wrap(buffer), promise: promise)
    }
}
