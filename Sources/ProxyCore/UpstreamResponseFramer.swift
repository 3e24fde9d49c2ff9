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
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
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

    /// The longest chunk-size line accepted (size, extensions and CRLF).
    static let maximumChunkLineBytes = 4096

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
                case .none, .contentLength(0): state = .body(remaining: 0)
                case .contentLength(let length): state = .body(remaining: length)
                case .chunked: state = .chunkSize
                case .untilClose: state = .untilClose
                }
                return .head(head)
            case .body(let remaining):
                if remaining == 0 {
                    state = .head
                    return .end(nil)
                }
                guard buffer.readableBytes > 0 else { return nil }
                let length = min(remaining, buffer.readableBytes)
                state = .body(remaining: remaining - length)
                return .body(buffer.readSlice(length: length)!)
            case .chunkSize:
                guard let lineLength = try Self.lineLength(in: buffer, limit: Self.maximumChunkLineBytes) else { return nil }
                let size = try buffer.withUnsafeReadableBytes { bytes throws(UpstreamResponseError) in
                    try Self.chunkSize(UnsafeRawBufferPointer(rebasing: bytes[..<lineLength]))
                }
                buffer.moveReaderIndex(forwardBy: lineLength + 2)
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                guard buffer.readableBytes > 0 else { return nil }
                let length = min(remaining, buffer.readableBytes)
                state = length == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - length)
                return .body(buffer.readSlice(length: length)!)
            case .chunkDataEnd:
                guard buffer.readableBytes >= 2 else { return nil }
                guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw .malformedChunk }
                state = .chunkSize
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
            try HeadParser(bytes: raw).parse(buffer: bytes, bodyless: bodyless)
        }
    }

    // MARK: Chunks

    /// The length of the line at the start of `buffer` (without its CRLF), or nil if it has not fully arrived.
    private static func lineLength(in buffer: ByteBuffer, limit: Int) throws(UpstreamResponseError) -> Int? {
        let result: Int? = buffer.withUnsafeReadableBytes { bytes in
            let end = min(bytes.count, limit)
            var index = 0
            while index < end {
                if bytes[index] == 0x0A { return index }
                index += 1
            }
            return bytes.count >= limit ? -1 : nil
        }
        guard let result else { return nil }
        guard result > 0, buffer.getInteger(at: buffer.readerIndex + result - 1, as: UInt8.self) == 0x0D else {
            throw .malformedChunk
        }
        return result - 1
    }

    /// The size of a chunk-size line (`1a;ext=1`), hexadecimal, at most 2^48.
    static func chunkSize(_ line: UnsafeRawBufferPointer) throws(UpstreamResponseError) -> Int {
        var size = 0
        var digits = 0
        var index = 0
        while index < line.count {
            let byte = line[index]
            let digit: Int
            switch byte {
            case 0x30...0x39: digit = Int(byte - 0x30)
            case 0x41...0x46: digit = Int(byte - 0x41 + 10)
            case 0x61...0x66: digit = Int(byte - 0x61 + 10)
            default: digit = -1
            }
            if digit < 0 { break }
            size = size * 16 + digit
            digits += 1
            guard digits <= 12 else { throw .malformedChunk }
            index += 1
        }
        guard digits > 0 else { throw .malformedChunk }
        // Optional white space, then extensions (`;name=value`), which are ignored; nothing else may follow.
        while index < line.count, line[index] == 0x20 || line[index] == 0x09 { index += 1 }
        if index < line.count {
            guard line[index] == UInt8(ascii: ";") else { throw .malformedChunk }
            for byte in line[index...] where byte < 0x20 && byte != 0x09 || byte == 0x7F { throw .malformedChunk }
        }
        return size
    }

    private mutating func trailers(_ buffer: inout ByteBuffer) throws(UpstreamResponseError) -> UpstreamResponsePart? {
        // No trailer fields: just the final CRLF.
        if buffer.readableBytes >= 2, buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == 0x0D0A {
            buffer.moveReaderIndex(forwardBy: 2)
            state = .head
            return .end(nil)
        }
        guard let bytes = try takeBlock(&buffer) else { return nil }
        let fields = try bytes.withUnsafeReadableBytes { raw throws(UpstreamResponseError) in
            try HeadParser(bytes: raw).parseTrailers()
        }
        state = .head
        return .end(fields)
    }
}

/// Parses the lines of one head held in `bytes` (which ends with CRLF CRLF).
private struct HeadParser {
    let bytes: UnsafeRawBufferPointer

    /// The offset just past the CRLF ending the line that starts at `start`; throws on a CR or LF alone.
    private func lineEnd(from start: Int) throws(UpstreamResponseError) -> Int {
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0D {
                guard index + 1 < bytes.count, bytes[index + 1] == 0x0A else { throw .malformedHeaderLine }
                return index
            }
            if byte == 0x0A { throw .malformedHeaderLine }
            index += 1
        }
        throw .malformedHeaderLine
    }

    func parse(buffer: ByteBuffer, bodyless: Bool) throws(UpstreamResponseError) -> UpstreamResponseHead {
        // Status line: HTTP/1.x SP 3DIGIT [SP reason]
        let statusEnd: Int
        do { statusEnd = try lineEnd(from: 0) } catch { throw .malformedStatusLine }
        guard statusEnd >= 12, bytes[0] == 0x48, bytes[1] == 0x54, bytes[2] == 0x54, bytes[3] == 0x50, bytes[4] == 0x2F,
              bytes[5] == 0x31, bytes[6] == 0x2E, bytes[7] == 0x30 || bytes[7] == 0x31, bytes[8] == 0x20
        else { throw .malformedStatusLine }
        var code = 0
        for index in 9..<12 {
            let byte = bytes[index]
            guard byte >= 0x30 && byte <= 0x39 else { throw .malformedStatusLine }
            code = code * 10 + Int(byte - 0x30)
        }
        guard code >= 100 else { throw .malformedStatusLine }
        var reasonStart = statusEnd
        if statusEnd > 12 {
            guard bytes[12] == 0x20 else { throw .malformedStatusLine }
            reasonStart = 13
            for index in 13..<statusEnd where Self.isControl(bytes[index]) { throw .malformedStatusLine }
        }
        let version = HTTPVersion(major: 1, minor: bytes[7] == 0x31 ? 1 : 0)

        var fields: [UpstreamResponseHead.Field] = []
        fields.reserveCapacity(16)
        var lineStart = statusEnd + 2
        var connectionClose = false
        var connectionKeepAlive = false
        var listed: [(Int, Int)] = []
        var contentLength: Int?
        var sawContentLength = false
        var sawTransferEncoding = false
        var chunkedLast = false
        while true {
            let end = try lineEnd(from: lineStart)
            if end == lineStart { break }  // the empty line
            let (colon, valueStart, valueEnd) = try fieldLine(from: lineStart, to: end)
            let name = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<colon])
            let value = UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd])
            var role = UpstreamResponseHead.FieldRole.endToEnd
            switch HopByHopName(name) {
            case .connection?:
                role = .hopByHop
                Self.forEachToken(in: value) { token in
                    if HTTPSyntax.equalsIgnoringCase(token, "close") {
                        connectionClose = true
                    } else if HTTPSyntax.equalsIgnoringCase(token, "keep-alive") {
                        connectionKeepAlive = true
                    } else if HopByHopName(token) == nil {
                        let offset = token.baseAddress! - bytes.baseAddress!
                        listed.append((offset, offset + token.count))
                    }
                }
            case .transferEncoding?:
                role = .transferEncoding
                sawTransferEncoding = true
                Self.forEachToken(in: value) { token in chunkedLast = HTTPSyntax.equalsIgnoringCase(token, "chunked") }
            case .some:
                role = .hopByHop
            case nil:
                if HTTPSyntax.equalsIgnoringCase(name, "content-length") {
                    role = .contentLength
                    sawContentLength = true
                    var invalid = false
                    Self.forEachToken(in: value) { token in
                        guard let length = Self.decimal(token), contentLength == nil || contentLength == length else {
                            invalid = true
                            return
                        }
                        contentLength = length
                    }
                    if invalid || contentLength == nil { throw .invalidContentLength }
                }
            }
            fields.append(.init(nameStart: Int32(lineStart), nameEnd: Int32(colon), valueStart: Int32(valueStart),
                                valueEnd: Int32(valueEnd), lineEnd: Int32(end), role: role))
            lineStart = end + 2
        }
        if !listed.isEmpty {
            // Names the upstream listed in `Connection` belong to that connection too.
            for index in fields.indices where fields[index].role == .endToEnd {
                let name = UnsafeRawBufferPointer(rebasing: bytes[Int(fields[index].nameStart)..<Int(fields[index].nameEnd)])
                if listed.contains(where: { HTTPSyntax.equalsIgnoringCase(name, UnsafeRawBufferPointer(rebasing: bytes[$0.0..<$0.1])) }) {
                    fields[index].role = .hopByHop
                }
            }
        }

        let framing: UpstreamResponseHead.BodyFraming
        var keepAlive = version.minor == 1 ? !connectionClose : connectionKeepAlive && !connectionClose
        if bodyless {
            framing = .none
        } else if sawTransferEncoding {
            if sawContentLength { throw .conflictingFraming }
            framing = chunkedLast ? .chunked : .untilClose
        } else if let contentLength {
            framing = .contentLength(contentLength)
        } else {
            framing = .untilClose
        }
        // After a 101 the connection no longer speaks HTTP; a body delimited by the close ends it.
        if framing == .untilClose || code == 101 { keepAlive = false }
        return UpstreamResponseHead(
            bytes: buffer, version: version, status: HTTPResponseStatus(statusCode: code),
            reasonStart: Int32(reasonStart), reasonEnd: Int32(statusEnd), fields: fields, framing: framing,
            declaredContentLength: contentLength, isKeepAlive: keepAlive)
    }

    /// Checks the field line `start..<end` (`name: value`): returns where its colon is and where its value starts
    /// and ends without surrounding white space.
    private func fieldLine(from start: Int, to end: Int) throws(UpstreamResponseError) -> (colon: Int, valueStart: Int, valueEnd: Int) {
        // Name: one or more token characters, then a colon at once.
        var colon = start
        while colon < end, HTTPSyntax.isTokenByte(bytes[colon]) { colon += 1 }
        guard colon > start, colon < end, bytes[colon] == UInt8(ascii: ":") else { throw .malformedHeaderLine }
        var valueStart = colon + 1
        while valueStart < end, bytes[valueStart] == 0x20 || bytes[valueStart] == 0x09 { valueStart += 1 }
        var valueEnd = end
        while valueEnd > valueStart, bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09 { valueEnd -= 1 }
        for index in valueStart..<valueEnd where Self.isControl(bytes[index]) && bytes[index] != 0x09 {
            throw .malformedHeaderLine
        }
        return (colon, valueStart, valueEnd)
    }

    /// Trailer fields (the lines of a chunked body's end), as headers.
    func parseTrailers() throws(UpstreamResponseError) -> HTTPHeaders {
        var headers = HTTPHeaders()
        var lineStart = 0
        while true {
            let end = try lineEnd(from: lineStart)
            if end == lineStart { return headers }
            let (colon, valueStart, valueEnd) = try fieldLine(from: lineStart, to: end)
            headers.add(name: String(decoding: bytes[lineStart..<colon], as: UTF8.self),
                        value: String(decoding: bytes[valueStart..<valueEnd], as: UTF8.self))
            lineStart = end + 2
        }
    }

    // MARK: Byte helpers

    static func isControl(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7F }

    /// Calls `body` with each non-empty element of a comma-separated list, trimmed of white space.
    static func forEachToken(in value: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        HTTPSyntax.forEachElement(of: value) { element in
            if !element.isEmpty { body(element) }
        }
    }

    /// `bytes` as a non-negative decimal number, nil if not all digits or absurdly large.
    static func decimal(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value = 0
        for byte in bytes {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
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
