package import NIOCore
package import NIOHTTP1

/// Encodes responses onto the client connection: local heads like NIO's `HTTPResponseEncoder`, relayed upstream
/// heads (ProxyCore's `writeHead(_:context:promise:)` for a `RelayedResponseHead`) by copying the lines they keep
/// (no strings), bodies as they are or chunk-encoded.
///
/// A value inside the handler that writes (no encoder handler of its own: one pipeline step and one boxed part
/// fewer per write). The channel below it takes `IOData`.
package struct ClientResponseWriter {
    package var isChunked = false
    package var suppressBody = false
    /// The buffer of the last relayed head, reused for the next one once the channel is done with it (kept only
    /// after a response with a length: a streamed one may be a watch that lasts hours).
    package var spareHeadBuffer: ByteBuffer?

    /// A writer between responses.
    package init() {}

    package static func wrap(_ buffer: ByteBuffer) -> NIOAny { NIOAny(IOData.byteBuffer(buffer)) }

    // MARK: Heads

    /// Writes a head made here; its framing headers are corrected as NIO's encoder would, and `requestMethod`
    /// decides whether a body may follow.
    package mutating func writeHead(_ head: HTTPResponseHead, requestMethod: HTTPMethod, context: ChannelHandlerContext,
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

    package static func writeStatusLine(version: HTTPVersion, code: UInt, _ buffer: inout ByteBuffer) {
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

    package static func size(of headers: HTTPHeaders) -> Int {
        var size = 0
        for (name, value) in headers { size += name.utf8.count + value.utf8.count + 4 }
        return size
    }

    package static func write(_ headers: HTTPHeaders, to buffer: inout ByteBuffer) {
        for (name, value) in headers {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
    }

    // MARK: Bodies

    /// Writes body bytes (chunk-encoded when the response is chunked; dropped for a response that has no body).
    package mutating func writeBody(_ body: ByteBuffer, context: ChannelHandlerContext, promise: EventLoopPromise<Void>? = nil) {
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
    package mutating func writeEnd(_ trailers: HTTPHeaders? = nil, context: ChannelHandlerContext, promise: EventLoopPromise<Void>? = nil) {
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
