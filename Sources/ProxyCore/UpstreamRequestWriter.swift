import NIOCore
import NIOHTTP1
import ServiceSupport

/// Encodes requests onto an upstream connection, with the proxy's own framing.
///
/// The head is written as the policy made it or relays it (``UpstreamRequestHead``), with `Host` set to the
/// upstream's and the framing headers the proxy chooses from ``RequestBodyFraming`` (any `Host`, `Connection`,
/// `Content-Length` or `Transfer-Encoding` in the head is left out). A body
/// with a length goes out as it is and must have exactly that length; a chunked body is chunk-encoded here and
/// ends with an empty trailer section. Nothing a client sends can change where a request ends on the upstream
/// connection.
///
/// A value inside ``UpstreamConnection`` (no encoder handler of its own).
struct UpstreamRequestWriter {
    private var framing: RequestBodyFraming = .none
    /// Body bytes still owed for a `Content-Length` body.
    private var remaining = 0
    /// The buffer of the last head, reused for the next once the channel is done with it.
    private var spareHeadBuffer: ByteBuffer?

    /// Lets go of the spare head buffer (before a response that may last long: a watch holds its connection for
    /// hours, and needs no buffer for a next request until then).
    mutating func releaseSpareBuffer() {
        spareHeadBuffer = nil
    }

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

    /// Encodes `request` as an HTTP/1.1 request head for an upstream named `host`, framed by `framing`, with
    /// `Connection: Upgrade` when it asks to switch protocols; starts a request. Fails, writing nothing, when any
    /// part of the head is unsafe to send.
    mutating func encodeHead(_ request: UpstreamRequestHead, host: String, framing: RequestBodyFraming, isUpgrade: Bool,
                             allocator: ByteBufferAllocator) throws(Failure) -> ByteBuffer {
        var buffer: ByteBuffer
        switch request {
        case .made(let head):
            buffer = try Self.encodeMade(head, host: host, spare: &spareHeadBuffer, allocator: allocator)
        case .relayed(let relayed):
            buffer = try Self.encodeRelayed(relayed, host: host, spare: &spareHeadBuffer, allocator: allocator)
        }
        if isUpgrade { buffer.writeStaticString("Connection: Upgrade\r\n") }
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
        spareHeadBuffer = buffer
        return buffer
    }

    /// The request line, `Host` and fields of a head the policy made, every part checked.
    private static func encodeMade(_ head: HTTPRequestHead, host: String, spare: inout ByteBuffer?,
                                   allocator: ByteBufferAllocator) throws(Failure) -> ByteBuffer {
        let method = head.method.rawValue
        guard isToken(method), isTarget(head.uri), isSafeValue(host) else { throw .unsafeHead }
        var size = method.utf8.count + head.uri.utf8.count + host.utf8.count + 96
        for (name, value) in head.headers {
            guard isToken(name), isSafeValue(value) else { throw .unsafeHead }
            size += name.utf8.count + value.utf8.count + 4
        }
        var buffer = spare.takeSpare(capacity: size, allocator: allocator)
        writeRequestLine(method: method, host: host, into: &buffer) { $0.writeString(head.uri) }
        writeFields(head.headers, into: &buffer)
        return buffer
    }

    /// The request line, `Host` and fields of the client's head relayed: the client's bytes (checked by the
    /// decoder) as they came, the proxy's parts checked here.
    private static func encodeRelayed(_ relayed: RelayedRequestHead, host: String, spare: inout ByteBuffer?,
                                      allocator: ByteBufferAllocator) throws(Failure) -> ByteBuffer {
        let client = relayed.client
        let method = client.method.rawValue
        guard isToken(method), isSafeValue(host), relayed.targetPrefix.isEmpty || isTarget(relayed.targetPrefix),
              relayed.targetPrefix.utf8.count + client.targetLength - relayed.targetBytesDropped > 0,
              forwardedForIsSafe(relayed.forwardedFor) else {
            throw .unsafeHead
        }
        var size = method.utf8.count + relayed.targetPrefix.utf8.count + client.targetLength + host.utf8.count + 192
        client.forEachField { size += $0.name.count + $0.value.count + 4 }
        for (name, value) in relayed.addedFields {
            guard isToken(name), isSafeValue(value) else { throw .unsafeHead }
            size += name.utf8.count + value.utf8.count + 4
        }
        if let impersonation = relayed.impersonation {
            try impersonation.forEachField { name, value throws(Failure) in
                guard isSafeValue(value) else { throw .unsafeHead }
                size += name.utf8CodeUnitCount + value.utf8.count + 4
            }
        }
        var buffer = spare.takeSpare(capacity: size, allocator: allocator)
        writeRequestLine(method: method, host: host, into: &buffer) { buffer in
            buffer.writeString(relayed.targetPrefix)
            _ = client.withTargetBytes { buffer.writeBytes(UnsafeRawBufferPointer(rebasing: $0[relayed.targetBytesDropped...])) }
        }
        relayed.forEachSentClientField { field in
            guard !isReplacedByProxy(field.name) else { return }
            buffer.writeBytes(field.name)
            buffer.writeStaticString(": ")
            buffer.writeBytes(field.value)
            buffer.writeStaticString("\r\n")
        }
        if relayed.sendsMergedForwardedFor {
            buffer.writeStaticString("X-Forwarded-For: ")
            relayed.forEachForwardedForPiece { buffer.writeBytes($0) }
            buffer.writeStaticString("\r\n")
        }
        writeFields(relayed.addedFields, into: &buffer)
        relayed.impersonation?.forEachField { name, value in
            buffer.writeStaticString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        return buffer
    }

    /// The address a merged `X-Forwarded-For` appends must be a safe value too (the client's values are).
    private static func forwardedForIsSafe(_ rule: ForwardedForRule) -> Bool {
        guard case .merged(let address?) = rule else { return true }
        return isSafeValue(address)
    }

    private static func writeRequestLine(method: String, host: String, into buffer: inout ByteBuffer,
                                         target: (inout ByteBuffer) -> Void) {
        buffer.writeString(method)
        buffer.writeInteger(UInt8(ascii: " "))
        target(&buffer)
        buffer.writeStaticString(" HTTP/1.1\r\nHost: ")
        buffer.writeString(host)
        buffer.writeStaticString("\r\n")
    }

    private static func writeFields(_ headers: HTTPHeaders, into buffer: inout ByteBuffer) {
        for (name, value) in headers {
            var name = name
            guard !name.withUTF8({ isReplacedByProxy(UnsafeRawBufferPointer($0)) }) else { continue }
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
    }

    /// `Host`, `Connection`, `Content-Length` and `Transfer-Encoding` are the proxy's to write.
    private static func isReplacedByProxy(_ name: UnsafeRawBufferPointer) -> Bool {
        switch name.count {
        case 4: return HTTPSyntax.equalsIgnoringCase(name, "host")
        case 10: return HTTPSyntax.equalsIgnoringCase(name, "connection")
        case 14: return HTTPSyntax.equalsIgnoringCase(name, "content-length")
        case 17: return HTTPSyntax.equalsIgnoringCase(name, "transfer-encoding")
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
