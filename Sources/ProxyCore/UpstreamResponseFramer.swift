import NIOCore
import NIOHTTP1
import ServiceSupport

/// Splits an upstream connection's bytes into responses: heads as ``UpstreamResponseHead`` (bytes plus line
/// offsets, no strings), bodies as slices of what was read, chunked bodies de-chunked.
///
/// Strict where leniency would let two parties disagree about where a response ends: CRLF line endings only, no
/// folded lines, no control characters, `Content-Length` all digits and consistent, never together with
/// `Transfer-Encoding` on a response with a body. Interim `1xx` responses other than `101` are dropped, as NIO's
/// decoder does. After a `101` it stops: the bytes behind it belong to the new protocol.
///
/// A plain value driven by ``UpstreamConnection`` (no handler of its own: no generic decoder machinery and no
/// boxing of parts between handlers on the hot path).
struct UpstreamResponseFramer {
    private enum State {
        case head
        /// Inside a body delimited by its length or chunked (a bodyless response: an empty one).
        case body(BodyFramer)
        /// After the last chunk: the trailer section.
        case trailers
        /// A body delimited by the close of the connection.
        case untilClose
        /// After a `101` head: its (empty) end is next, then nothing.
        case endBeforeSwitch
        case switched
    }

    /// The largest response head accepted.
    let maximumHeadBytes: Int
    private var state = State.head
    /// Bytes of the current head already searched for its end (so a head arriving in pieces is scanned once).
    private var scanned = 0
    /// Whether the request being answered is a `HEAD` (its response has no body).
    private var answeringHEAD = false

    init(maximumHeadBytes: Int) {
        self.maximumHeadBytes = maximumHeadBytes
    }

    /// Notes the method of the request just sent: the next response answers it.
    mutating func requestSent(method: HTTPMethod) {
        if case .HEAD = method { answeringHEAD = true } else { answeringHEAD = false }
    }

    /// Whether a `101` ended HTTP on this connection.
    var hasSwitchedProtocols: Bool {
        if case .switched = state { return true }
        return false
    }

    /// The next part that `buffer` holds in full, consuming its bytes; nil when more bytes are needed (or after a
    /// protocol switch, when the rest is left in `buffer`).
    mutating func nextPart(_ buffer: inout ByteBuffer) throws(UpstreamResponseError) -> UpstreamResponsePart? {
        while true {
            switch state {
            case .head:
                guard let bytes = try takeBlock(&buffer) else { return nil }
                let code = try Self.statusCode(of: bytes)
                if code >= 100 && code < 200 && code != 101 {
                    continue  // an interim response: dropped; the final one follows
                }
                let head = try Self.parse(bytes, bodyless: answeringHEAD || code < 200 || code == 204 || code == 304)
                answeringHEAD = false
                switch head.framing {
                case _ where code == 101: state = .endBeforeSwitch
                case .none: state = .body(BodyFramer(contentLength: 0))
                case .contentLength(let length): state = .body(BodyFramer(contentLength: length))
                case .chunked: state = .body(BodyFramer(chunked: .upstreamResponse))
                case .untilClose: state = .untilClose
                }
                return .head(head)
            case .body(var body):
                let event: BodyFramer.Event?
                // Every body framing error is a malformed chunk here (a size over the rules' 12 digits too).
                do { event = try body.next(&buffer) } catch { throw .malformedChunk }
                state = .body(body)
                switch event {
                case nil: return nil
                case .body(let slice)?: return .body(slice)
                case .end?:
                    state = .head
                    return .end(nil)
                case .trailers?: state = .trailers
                }
            case .trailers:
                return try trailers(&buffer)
            case .untilClose:
                guard buffer.readableBytes > 0 else { return nil }
                return .body(buffer.readSlice(length: buffer.readableBytes)!)
            case .endBeforeSwitch:
                state = .switched
                return .end(nil)
            case .switched:
                return nil
            }
        }
    }

    /// At the end of the input: the end of a response delimited by the close, nothing between responses; a
    /// response cut short throws.
    mutating func endOfInput(_ buffer: ByteBuffer) throws(UpstreamResponseError) -> UpstreamResponsePart? {
        switch state {
        case .head where buffer.readableBytes == 0:
            return nil
        case .untilClose:
            state = .head
            return .end(nil)
        case .switched, .endBeforeSwitch:
            return nil
        default:
            state = .head
            throw .truncated
        }
    }

    // MARK: Heads

    /// The next head or trailer block (through its empty line) once it has fully arrived, within the size limit.
    private mutating func takeBlock(_ buffer: inout ByteBuffer) throws(UpstreamResponseError) -> ByteBuffer? {
        guard let length = findHeadEnd(in: buffer) else {
            if buffer.readableBytes > maximumHeadBytes { throw .headTooLarge }
            return nil
        }
        scanned = 0
        guard length <= maximumHeadBytes else { throw .headTooLarge }
        return buffer.readSlice(length: length)!
    }

    /// The length of the head (through its empty line) if it has fully arrived.
    private mutating func findHeadEnd(in buffer: ByteBuffer) -> Int? {
        let start = max(0, scanned - 3)
        let found: Int? = buffer.withUnsafeReadableBytes { bytes in
            var index = start
            while index + 3 < bytes.count {
                if bytes[index + 3] == 0x0A && bytes[index + 2] == 0x0D && bytes[index + 1] == 0x0A && bytes[index] == 0x0D {
                    return index + 4
                }
                index += 1
            }
            return nil
        }
        if found == nil { scanned = buffer.readableBytes }
        return found
    }

    /// The status code of a status line, checked only as far as needed to tell interim responses apart.
    static func statusCode(of bytes: ByteBuffer) throws(UpstreamResponseError) -> Int {
        guard bytes.readableBytes >= 12 else { throw .malformedStatusLine }
        let code: Int? = bytes.withUnsafeReadableBytes { bytes in
            var value = 0
            for index in 9..<12 {
                let byte = bytes[index]
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let code, code >= 100 else { throw .malformedStatusLine }
        return code
    }

    /// Parses a complete head (status line, header lines, empty line) and decides its framing.
    static func parse(_ bytes: ByteBuffer, bodyless: Bool) throws(UpstreamResponseError) -> UpstreamResponseHead {
        try bytes.withUnsafeReadableBytes { raw throws(UpstreamResponseError) in
            try ResponseHeadParser(bytes: raw).parse(buffer: bytes, bodyless: bodyless)
        }
    }

    // MARK: Trailers

    /// The trailer section after the last chunk, once it has arrived.
    private mutating func trailers(_ buffer: inout ByteBuffer) throws(UpstreamResponseError) -> UpstreamResponsePart? {
        // No trailer fields: just the final CRLF.
        if buffer.readableBytes >= 2, buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == 0x0D0A {
            buffer.moveReaderIndex(forwardBy: 2)
            state = .head
            return .end(nil)
        }
        guard let bytes = try takeBlock(&buffer) else { return nil }
        let fields = try bytes.withUnsafeReadableBytes { raw throws(UpstreamResponseError) in
            try ResponseHeadParser(bytes: raw).parseTrailers()
        }
        state = .head
        return .end(fields)
    }
}

/// The fixed hop-by-hop header names (the same list as ``HopByHopHeaders``), recognised from bytes.
enum HopByHopName {
    case connection, keepAlive, proxyConnection, te, trailer, transferEncoding, upgrade, proxyAuthenticate,
         proxyAuthorization

    init?(_ name: UnsafeRawBufferPointer) {
        let equals = HTTPSyntax.equalsIgnoringCase as (UnsafeRawBufferPointer, StaticString) -> Bool
        switch name.count {
        case 2 where equals(name, "te"): self = .te
        case 7 where equals(name, "trailer"): self = .trailer
        case 7 where equals(name, "upgrade"): self = .upgrade
        case 10 where equals(name, "connection"): self = .connection
        case 10 where equals(name, "keep-alive"): self = .keepAlive
        case 16 where equals(name, "proxy-connection"): self = .proxyConnection
        case 17 where equals(name, "transfer-encoding"): self = .transferEncoding
        case 18 where equals(name, "proxy-authenticate"): self = .proxyAuthenticate
        case 19 where equals(name, "proxy-authorization"): self = .proxyAuthorization
        default: return nil
        }
    }
}
