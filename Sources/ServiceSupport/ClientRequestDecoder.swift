package import NIOCore
package import NIOHTTP1

/// Decodes a client connection's bytes into HTTP/1.1 requests (`HTTPServerRequestPart`s), strictly: RFC 9112 and
/// RFC 9110 without the leniencies that let a proxy and the server behind it disagree about where a request ends.
///
/// Used inside NIO's `ByteToMessageHandler`, in place of NIO's `HTTPRequestDecoder`, so that the proxy owns request
/// framing and its limits:
/// - The request line is `method SP request-target SP HTTP/1.1` (or `HTTP/1.0`) with exactly one space between
///   parts; the method is a token of at most 32 bytes, the target visible ASCII. Other `HTTP/x.y` versions get 505.
/// - Every line of the head ends with CRLF (a bare CR or LF is refused). Up to eight empty lines before a request
///   line are skipped (RFC 9112 §2.2).
/// - Field lines are `name: value`: the name a token followed at once by the colon, no folded lines, no control
///   bytes but HTAB in the value, and a value with bytes above 0x7F must be UTF-8. Names keep their case.
/// - ``maximumHeadBytes`` counts the head as received, every byte (empty lines, separators, white space, line
///   ends); ``maximumFieldCount`` counts field lines. Both are enforced as soon as they are passed, so a client
///   sending an endless head is cut off at the limit; the answer is 431.
/// - Framing follows RFC 9112 §6: `Transfer-Encoding` only as exactly `chunked` (other codings 501), never with
///   `Content-Length` and never in HTTP/1.0; `Content-Length` all digits, repeated only as the same digits; no
///   length means no body. One `Host` line at most.
/// - Chunked bodies: hexadecimal sizes that fit an `Int` (413 otherwise), extensions checked against RFC 9112
///   §7.1.1 and discarded, CRLF after every chunk's data, a trailer section with the head's field rules and its own
///   limits (``maximumTrailerBytes``, ``maximumTrailerFieldCount``).
///
/// Body bytes are delivered as slices of what was read, never joined with framing bytes. Requests follow each other
/// on the connection (pipelining): every part that the bytes at hand hold in full is delivered, in order, before an
/// error in later bytes is thrown (as a ``ClientRequestError``, which knows its status).
///
/// After the `.end` of a request asking to switch protocols (`Connection: upgrade` and an `Upgrade` field) the
/// decoder stops: the bytes behind it may belong to another protocol. When the handler is removed from the pipeline
/// (``ByteRelaySwitch``), it passes whatever it holds and has not decoded to the next handler as one `ByteBuffer`,
/// as NIO's decoder does with `.forwardBytes`. An upgrade request that declares a body has it decoded as usual
/// first; the decoder stops after its end all the same (the proxy never serves another request on a connection
/// that asked for a switch). `CONNECT` gets no special treatment.
///
/// At the end of the input, nothing is wrong between requests; in the middle of a head or body the decoder throws
/// ``ClientRequestError/truncated``.
package struct ClientRequestDecoder: ByteToMessageDecoder {
    package typealias InboundOut = HTTPServerRequestPart

    private enum State {
        /// Waiting for (the rest of) a request head.
        case head
        /// A body delimited by `Content-Length`: this many bytes still to come (at 0: the end is next).
        case body(remaining: Int)
        /// Waiting for a chunk-size line.
        case chunkSize
        /// Inside a chunk's data.
        case chunkData(remaining: Int)
        /// After a chunk's data: CRLF must follow.
        case chunkDataEnd
        /// After the last chunk: the trailer section.
        case trailers
        /// After the end of an upgrade request: nothing more is decoded.
        case switched
    }

    /// The default for ``maximumHeadBytes``: large Keycloak tokens with many groups fit.
    package static let defaultMaximumHeadBytes = 320 * 1024
    /// The default for ``maximumFieldCount``.
    package static let defaultMaximumFieldCount = 256
    /// The longest chunk-size line accepted (size, extensions and CRLF).
    static let maximumChunkLineBytes = 4096

    /// The largest request head accepted, in bytes as received.
    let maximumHeadBytes: Int
    /// The most field lines accepted in a request head.
    let maximumFieldCount: Int
    /// The largest trailer section accepted, in bytes as received.
    let maximumTrailerBytes: Int
    /// The most field lines accepted in a trailer section.
    let maximumTrailerFieldCount: Int

    private var state = State.head
    private var headScanner: SectionScanner
    private var trailerScanner: SectionScanner
    /// Bytes of the current chunk-size line already looked at.
    private var chunkLineScanned = 0
    /// Whether the request being decoded asks to switch protocols.
    private var upgradeAfterEnd = false

    /// Creates a decoder with the given limits (each at least 1 and at most `Int32.max`).
    ///
    /// - Parameters:
    ///   - maximumHeadBytes: the largest request head, counting every byte received (431 beyond).
    ///   - maximumFieldCount: the most field lines in a request head (431 beyond).
    ///   - maximumTrailerBytes: the largest trailer section of a chunked body, counting every byte (431 beyond).
    ///   - maximumTrailerFieldCount: the most field lines in a trailer section (431 beyond).
    package init(maximumHeadBytes: Int = Self.defaultMaximumHeadBytes, maximumFieldCount: Int = Self.defaultMaximumFieldCount,
                 maximumTrailerBytes: Int = 16 * 1024, maximumTrailerFieldCount: Int = 64) {
        precondition(maximumHeadBytes > 0 && maximumHeadBytes <= Int(Int32.max), "maximumHeadBytes out of range")
        precondition(maximumTrailerBytes > 0 && maximumTrailerBytes <= Int(Int32.max), "maximumTrailerBytes out of range")
        precondition(maximumFieldCount > 0 && maximumTrailerFieldCount > 0, "field counts must be positive")
        self.maximumHeadBytes = maximumHeadBytes
        self.maximumFieldCount = maximumFieldCount
        self.maximumTrailerBytes = maximumTrailerBytes
        self.maximumTrailerFieldCount = maximumTrailerFieldCount
        headScanner = SectionScanner(maximumBytes: maximumHeadBytes, maximumFields: maximumFieldCount, isTrailers: false)
        trailerScanner = SectionScanner(maximumBytes: maximumTrailerBytes, maximumFields: maximumTrailerFieldCount, isTrailers: true)
    }

    // MARK: ByteToMessageDecoder

    /// Delivers every part `buffer` holds in full; throws at the first malformed byte, after the parts before it.
    package mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        while let part = try nextPart(&buffer) {
            context.fireChannelRead(Self.wrapInboundOut(part))
        }
        return .needMoreData
    }

    /// At the end of the input: the parts still to deliver, then ``ClientRequestError/truncated`` if a request is
    /// unfinished. On removal from the pipeline (no end of input): the bytes not decoded, handed on as they are.
    package mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        if seenEOF {
            while let part = try nextPart(&buffer) {
                context.fireChannelRead(Self.wrapInboundOut(part))
            }
            try endOfInput()
        } else if buffer.readableBytes > 0 {
            // The pipeline stops speaking HTTP (a protocol switch): what the client sent behind the upgrade request
            // belongs to the handler that takes over.
            context.fireChannelRead(NIOAny(buffer))
            buffer.moveReaderIndex(to: buffer.writerIndex)
        }
        return .needMoreData
    }

    // MARK: Parts

    /// The next part that `buffer` holds in full, consuming its bytes; nil when more bytes are needed (or after an
    /// upgrade request, when the rest stays in `buffer`).
    package mutating func nextPart(_ buffer: inout ByteBuffer) throws(ClientRequestError) -> HTTPServerRequestPart? {
        while true {
            switch state {
            case .head:
                let found = try buffer.withUnsafeReadableBytes { bytes throws(ClientRequestError) -> (ParsedHead, Int)? in
                    guard let length = try headScanner.scan(bytes) else { return nil }
                    return (try Self.parseHead(UnsafeRawBufferPointer(rebasing: bytes[..<length]), headScanner), length)
                }
                guard let (parsed, length) = found else { return nil }
                buffer.moveReaderIndex(forwardBy: length)
                headScanner.reset()
                upgradeAfterEnd = parsed.isUpgrade
                switch parsed.framing {
                case .contentLength(let length):
                    state = .body(remaining: length)
                case .chunked:
                    chunkLineScanned = 0
                    state = .chunkSize
                }
                return .head(parsed.head)
            case .body(let remaining):
                if remaining == 0 { return end(nil) }
                guard buffer.readableBytes > 0 else { return nil }
                let length = min(remaining, buffer.readableBytes)
                state = .body(remaining: remaining - length)
                return .body(buffer.readSlice(length: length)!)
            case .chunkSize:
                guard let (size, lineLength) = try chunkLine(buffer) else { return nil }
                buffer.moveReaderIndex(forwardBy: lineLength)
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                guard buffer.readableBytes > 0 else { return nil }
                let length = min(remaining, buffer.readableBytes)
                state = length == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - length)
                return .body(buffer.readSlice(length: length)!)
            case .chunkDataEnd:
                // CRLF, checked byte by byte so that anything else is refused as soon as it arrives.
                guard buffer.readableBytes > 0 else { return nil }
                guard buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == 0x0D else { throw .malformedChunk }
                guard buffer.readableBytes > 1 else { return nil }
                guard buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self) == 0x0A else { throw .malformedChunk }
                buffer.moveReaderIndex(forwardBy: 2)
                chunkLineScanned = 0
                state = .chunkSize
            case .trailers:
                let found = try buffer.withUnsafeReadableBytes { bytes throws(ClientRequestError) -> (HTTPHeaders?, Int)? in
                    guard let length = try trailerScanner.scan(bytes) else { return nil }
                    return (try Self.parseTrailers(UnsafeRawBufferPointer(rebasing: bytes[..<length]), trailerScanner), length)
                }
                guard let (trailers, length) = found else { return nil }
                buffer.moveReaderIndex(forwardBy: length)
                trailerScanner.reset()
                return end(trailers)
            case .switched:
                return nil
            }
        }
    }

    /// The end of the request; the next one follows, unless this one asked to switch protocols.
    private mutating func end(_ trailers: HTTPHeaders?) -> HTTPServerRequestPart {
        state = upgradeAfterEnd ? .switched : .head
        upgradeAfterEnd = false
        return .end(trailers)
    }

    /// At the end of the input: fine between requests (after at most some empty lines) and after an upgrade
    /// request; a request cut short throws.
    package func endOfInput() throws(ClientRequestError) {
        switch state {
        case .head where !headScanner.hasStartedRequest, .switched:
            return
        default:
            throw .truncated
        }
    }

    // MARK: Chunks

    /// The size of the chunk whose size line starts `buffer` and the line's length with its CRLF, once the line has
    /// arrived. Bytes that cannot belong to a valid line are refused as they arrive, not when the line ends.
    private mutating func chunkLine(_ buffer: ByteBuffer) throws(ClientRequestError) -> (size: Int, length: Int)? {
        try buffer.withUnsafeReadableBytes { bytes throws(ClientRequestError) -> (size: Int, length: Int)? in
            guard bytes.count > 0 else { return nil }
            guard Self.hexValue(bytes[0]) != nil else { throw .malformedChunk }
            let end = min(bytes.count, Self.maximumChunkLineBytes)
            var index = chunkLineScanned
            while index < end {
                let byte = bytes[index]
                if byte == 0x0A { break }
                // Control bytes other than HTAB cannot be part of a chunk line; CR only before its LF.
                guard byte >= 0x20 && byte != 0x7F || byte == 0x09 || byte == 0x0D else { throw .malformedChunk }
                index += 1
            }
            guard index < end else {
                chunkLineScanned = index
                if bytes.count >= Self.maximumChunkLineBytes { throw .malformedChunk }
                return nil
            }
            guard index > 0, bytes[index - 1] == 0x0D else { throw .malformedChunk }
            chunkLineScanned = 0
            let size = try Self.chunkSize(UnsafeRawBufferPointer(rebasing: bytes[..<(index - 1)]))
            return (size, index + 1)
        }
    }

    /// The size of a chunk-size line without its CRLF: `1*HEXDIG` then extensions, which are checked and dropped:
    /// `*( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )` (RFC 9112 §7.1.1).
    static func chunkSize(_ line: UnsafeRawBufferPointer) throws(ClientRequestError) -> Int {
        var size = 0
        var index = 0
        while index < line.count, let digit = hexValue(line[index]) {
            guard size <= Int.max >> 4 else { throw .chunkTooLarge }
            size = size << 4 | digit
            index += 1
        }
        guard index > 0 else { throw .malformedChunk }
        func skipWhiteSpace() {
            while index < line.count, line[index] == 0x20 || line[index] == 0x09 { index += 1 }
        }
        func token() throws(ClientRequestError) {
            let start = index
            while index < line.count, HTTPSyntax.isTokenByte(line[index]) { index += 1 }
            guard index > start else { throw .malformedChunk }
        }
        while index < line.count {
            skipWhiteSpace()
            guard index < line.count, line[index] == UInt8(ascii: ";") else { throw .malformedChunk }
            index += 1
            skipWhiteSpace()
            try token()
            let afterName = index
            skipWhiteSpace()
            guard index < line.count, line[index] == UInt8(ascii: "=") else {
                // No value: white space here must come before another extension.
                index = afterName
                continue
            }
            index += 1
            skipWhiteSpace()
            guard index < line.count, line[index] == UInt8(ascii: "\"") else {
                try token()
                continue
            }
            // quoted-string: qdtext (HTAB, SP, VCHAR but `"` and `\`, obs-text) or `\` and one such byte.
            index += 1
            while true {
                guard index < line.count else { throw .malformedChunk }
                let byte = line[index]
                index += 1
                if byte == UInt8(ascii: "\"") { break }
                guard byte >= 0x20 && byte != 0x7F || byte == 0x09 else { throw .malformedChunk }
                if byte == UInt8(ascii: "\\") {
                    guard index < line.count, line[index] >= 0x20 && line[index] != 0x7F || line[index] == 0x09 else {
                        throw .malformedChunk
                    }
                    index += 1
                }
            }
        }
        return size
    }

    /// The value of a hexadecimal digit, nil for any other byte.
    @inline(__always)
    static func hexValue(_ byte: UInt8) -> Int? {
        if byte &- 0x30 < 10 { return Int(byte &- 0x30) }
        let lowered = byte | 0x20
        if lowered &- 0x61 < 6 { return Int(lowered &- 0x61 + 10) }
        return nil
    }
}
