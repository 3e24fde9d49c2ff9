public import NIOCore
public import NIOHTTP1

/// The head of an upstream response kept as the bytes that arrived, with the position and role of each header line.
///
/// Relaying a response head this way costs one copy of its bytes instead of a `String` per header name and value
/// and an encoder pass; the forwarder still decides line by line what the client gets (hop-by-hop lines dropped,
/// framing redone, the policy's headers put in place of the upstream's).
public struct UpstreamResponseHead: Sendable {
    /// How a header line takes part in relaying.
    public enum FieldRole: UInt8, Sendable {
        /// Forwarded to the client as it is.
        case endToEnd
        /// Belongs to the upstream connection (RFC 9110 §7.6.1, or named in its `Connection` header).
        case hopByHop
        /// `Content-Length`: the forwarder writes its own.
        case contentLength
        /// `Transfer-Encoding`: the forwarder writes its own.
        case transferEncoding
    }

    /// One header line: offsets into ``bytes`` (relative to its reader index).
    public struct Field: Sendable {
        /// Start of the name (and of the line).
        public var nameStart: Int32
        /// End of the name (the colon).
        public var nameEnd: Int32
        /// Start of the value, after optional white space.
        public var valueStart: Int32
        /// End of the value, before optional white space.
        public var valueEnd: Int32
        /// End of the line, before its CRLF.
        public var lineEnd: Int32
        /// The line's role.
        public var role: FieldRole
    }

    /// How the body that follows the head is delimited.
    public enum BodyFraming: Sendable, Equatable {
        /// No body (`HEAD` request, `1xx`, `204`, `304`).
        case none
        /// Exactly this many bytes.
        case contentLength(Int)
        /// Chunked transfer coding.
        case chunked
        /// Everything until the upstream closes the connection.
        case untilClose
    }

    /// The head as received, from the status line through the empty line that ends it.
    public var bytes: ByteBuffer
    /// The protocol version of the status line.
    public var version: HTTPVersion
    /// The status code.
    public var status: HTTPResponseStatus
    /// Offsets of the reason phrase in ``bytes`` (possibly empty).
    public var reasonStart: Int32
    public var reasonEnd: Int32
    /// The header lines in order.
    public var fields: [Field]
    /// How the body is delimited on the upstream connection.
    public var framing: BodyFraming
    /// The declared `Content-Length`, also when no body follows (a response to `HEAD`, a `304`).
    public var declaredContentLength: Int?
    /// Whether the upstream connection may carry another request after this response.
    public var isKeepAlive: Bool

    /// The bytes of `field`'s name.
    public func name(of field: Field) -> ByteBufferView {
        bytes.readableBytesView[(bytes.readerIndex + Int(field.nameStart))..<(bytes.readerIndex + Int(field.nameEnd))]
    }

    /// The bytes of `field`'s value (without surrounding white space).
    public func value(of field: Field) -> ByteBufferView {
        bytes.readableBytesView[(bytes.readerIndex + Int(field.valueStart))..<(bytes.readerIndex + Int(field.valueEnd))]
    }

    /// Every header line as `HTTPHeaders` (hop-by-hop and framing lines included): for the rare paths that need
    /// them as strings (a protocol switch, tests).
    public var headers: HTTPHeaders {
        var headers = HTTPHeaders()
        headers.reserveCapacity(fields.count)
        for field in fields {
            headers.add(name: String(decoding: name(of: field), as: UTF8.self),
                        value: String(decoding: value(of: field), as: UTF8.self))
        }
        return headers
    }

    /// The head as a NIO response head (all header lines as strings).
    public var responseHead: HTTPResponseHead {
        HTTPResponseHead(version: version, status: status, headers: headers)
    }
}

/// A part of an upstream response, as ``UpstreamResponseDecoder`` delivers it.
public enum UpstreamResponsePart: Sendable {
    /// The head (interim `1xx` responses other than `101` are not delivered).
    case head(UpstreamResponseHead)
    /// Body bytes, without transfer coding.
    case body(ByteBuffer)
    /// The end of the response, with the trailer fields of a chunked body if it had any.
    case end(HTTPHeaders?)
}

/// An upstream response the proxy cannot relay safely; the client gets a `502` (or, mid-response, a cut connection).
public enum UpstreamResponseError: Error, Equatable, CustomStringConvertible {
    /// The status line is not `HTTP/1.x NNN reason`.
    case malformedStatusLine
    /// A header line is not `name: value`, contains a control character, or is folded.
    case malformedHeaderLine
    /// The head is larger than the limit.
    case headTooLarge
    /// `Content-Length` is not a number, or several disagree.
    case invalidContentLength
    /// Both `Transfer-Encoding` and `Content-Length` on a response with a body (a request-smuggling shape).
    case conflictingFraming
    /// A chunk-size line is malformed or the chunk data is not followed by CRLF.
    case malformedChunk
    /// The connection ended in the middle of a response.
    case truncated
    /// A `101 Switching Protocols` answering a request that asked for no switch.
    case unexpectedSwitch

    public var description: String {
        switch self {
        case .malformedStatusLine: return "the upstream sent a malformed status line"
        case .malformedHeaderLine: return "the upstream sent a malformed header line"
        case .headTooLarge: return "the upstream's response head is too large"
        case .invalidContentLength: return "the upstream sent an invalid Content-Length"
        case .conflictingFraming: return "the upstream sent both Transfer-Encoding and Content-Length"
        case .malformedChunk: return "the upstream sent a malformed chunk"
        case .truncated: return "the upstream closed the connection in the middle of a response"
        case .unexpectedSwitch: return "the upstream switched protocols unasked"
        }
    }
}
