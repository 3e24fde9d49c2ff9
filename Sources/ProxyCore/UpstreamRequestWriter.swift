import NIOCore
import NIOHTTP1
import ServiceSupport

/// Encodes requests onto an upstream connection, with the proxy's own framing.
///
/// The head is written as the policy made it, with `Host` set to the upstream's and the framing headers the proxy
/// chooses from ``RequestBodyFraming`` (any `Content-Length` or `Transfer-Encoding` in the head is ignored). A body
/// with a length goes out as it is and must have exactly that length; a chunked body is chunk-encoded here and
/// ends with an empty trailer section. Nothing a client sends can change where a request ends on the upstream
/// connection.
///
/// A value inside ``UpstreamConnection`` (no encoder handler of its own).
struct UpstreamRequestWriter {
    private var framing: RequestBodyFraming = .none
    /// Body bytes still owed for a `Content-Length` body.
    private var remaining = 0

    /// Why a request cannot be written.
    enum Failure: Error, CustomStringConvertible {
        /// A method, target, name or value that would not arrive exactly as it is (control characters, line
        /// breaks, blanks at the edges of a value).
        case unsafeHead
        /// More or fewer body bytes than the declared length.
        case bodyLengthMismatch

        var description: String {
            switch self {
            case .unsafeHead: return "a request head the proxy would not send exactly as it is"
            case .bodyLengthMismatch: return "a request body whose length differs from the declared one"
            }
        }
    }

    // MARK: Head

    /// Encodes `head` as an HTTP/1.1 request head for an upstream named `host`, framed by `framing`; starts a
    /// request. Fails, writing nothing, when any part of the head is unsafe to send.
    mutating func encodeHead(_ head: HTTPRequestHead, host: String, framing: RequestBodyFraming,
                             allocator: ByteBufferAllocator) throws(Failure) -> ByteBuffer {
        let method = head.method.rawValue
        guard Self.isToken(method), Self.isTarget(head.uri), Self.isSafeValue(host) else { throw .unsafeHead }
        var size = method.utf8.count + head.uri.utf8.count + host.utf8.count + 64
        for (name, value) in head.headers {
            guard Self.isToken(name), Self.isSafeValue(value) else { throw .unsafeHead }
            size += name.utf8.count + value.utf8.count + 4
        }
        var buffer = allocator.buffer(capacity: size)
        buffer.writeString(method)
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(head.uri)
        buffer.writeStaticString(" HTTP/1.1\r\nHost: ")
        buffer.writeString(host)
        buffer.writeStaticString("\r\n")
        for (name, value) in head.headers where !Self.isReplacedByProxy(name) {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        switch framing {
        case .none:
            break
        case .length(let length):
            buffer.writeStaticString("Content-Length: ")
            buffer.writeString(String(length))
            buffer.writeStaticString("\r\n")
        case .chunked:
            buffer.writeStaticString("Transfer-Encoding: chunked\r\n")
        }
        buffer.writeStaticString("\r\n")
        self.framing = framing
        if case .length(let length) = framing { remaining = length } else { remaining = 0 }
        return buffer
    }

    /// `Host`, `Content-Length` and `Transfer-Encoding` are the proxy's to write.
    private static func isReplacedByProxy(_ name: String) -> Bool {
        switch name.utf8.count {
        case 4: return HeaderNames.equals(name, lowercase: "host")
        case 14: return HeaderNames.equals(name, lowercase: "content-length")
        case 17: return HeaderNames.equals(name, lowercase: "transfer-encoding")
        default: return false
        }
    }

    // MARK: Body

    /// Writes body bytes through `write` (chunk-encoded for a chunked body). Fails when a body with a length
    /// would exceed it, or when the request has no body.
    mutating func writeBody(_ body: ByteBuffer, allocator: ByteBufferAllocator,
                            write: (ByteBuffer) -> Void) throws(Failure) {
        let count = body.readableBytes
        guard count > 0 else { return }
        switch framing {
        case .none:
            throw .bodyLengthMismatch
        case .length:
            guard count <= remaining else { throw .bodyLengthMismatch }
            remaining -= count
            write(body)
        case .chunked:
            var sizeLine = allocator.buffer(capacity: 24)
            sizeLine.writeString(String(count, radix: 16))
            sizeLine.writeStaticString("\r\n")
            write(sizeLine)
            write(body)
            // The CRLF after the data is the tail of the size line's buffer.
            sizeLine.moveReaderIndex(forwardBy: sizeLine.readableBytes - 2)
            write(sizeLine)
        }
    }

    /// Ends the request body (the last chunk of a chunked body; request trailers are never sent). Fails when a
    /// body with a length ended short.
    mutating func writeEnd(allocator: ByteBufferAllocator, write: (ByteBuffer) -> Void) throws(Failure) {
        defer {
            framing = .none
            remaining = 0
        }
        switch framing {
        case .none:
            return
        case .length:
            guard remaining == 0 else { throw .bodyLengthMismatch }
        case .chunked:
            var buffer = allocator.buffer(capacity: 5)
            buffer.writeStaticString("0\r\n\r\n")
            write(buffer)
        }
    }

    // MARK: Checks

    /// 1*tchar (RFC 9110 §5.6.2).
    static func isToken(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            !bytes.isEmpty && bytes.allSatisfy(HTTPSyntax.isTokenByte)
        }
    }

    /// A request target of visible ASCII (origin, absolute or asterisk form; never spaces or controls).
    static func isTarget(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            !bytes.isEmpty && bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F }
        }
    }

    /// A field value that arrives as it is: no control character but HTAB, no DEL, and no blank at either edge (a
    /// receiver removes those, which would change the value).
    static func isSafeValue(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard let first = bytes.first, let last = bytes.last else { return true }
            if first == 0x20 || first == 0x09 || last == 0x20 || last == 0x09 { return false }
            return bytes.allSatisfy { ($0 >= 0x20 && $0 != 0x7F) || $0 == 0x09 }
        }
    }
}
