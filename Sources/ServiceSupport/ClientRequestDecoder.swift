package import NIOCore
package import NIOHTTP1

/// Decodes a client connection's bytes into HTTP/1.1 requests (``ClientRequestPart``s: heads kept as bytes,
/// ``RequestHead``), strictly: RFC 9112 and RFC 9110 without the leniencies that let a proxy and the server behind
/// it disagree about where a request ends.
///
/// The proxies' forwarding handler runs it itself (``nextPart(_:allocator:)``); other listeners run it inside NIO's
/// `ByteToMessageHandler`, which gets NIO's `HTTPServerRequestPart`s. Either way it replaces NIO's
/// `HTTPRequestDecoder`, so that the proxy owns request framing and its limits:
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
///   limits (``maximumTrailerBytes``, ``maximumTrailerFieldCount``). Bodies are read by ``BodyFramer`` under
///   ``ChunkRules/clientRequest``; the head by ``SectionScanner`` and ``RequestHeadParser``.
///
/// Body bytes are delivered as slices of what was read, never joined with framing bytes. Requests follow each other
/// on the connection (pipelining): every part that the bytes at hand hold in full is delivered, in order, before an
/// error in later bytes is thrown (as a ``ClientRequestError``, which knows its status).
///
/// After the `.end` of a request asking to switch protocols (`Connection: upgrade` and an `Upgrade` field) the
/// decoder stops: the bytes behind it may belong to another protocol and stay with the caller (inside
/// `ByteToMessageHandler`, they are passed to the next handler as one `ByteBuffer` when it is removed, as NIO's
/// decoder does with `.forwardBytes`). An upgrade request that declares a body has it decoded as usual
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
        /// Inside a body (chunked or delimited by `Content-Length`; one without either is empty).
        case body(BodyFramer)
        /// After the last chunk: the trailer section.
        case trailers
        /// After the end of an upgrade request: nothing more is decoded.
        case switched
    }

    /// The default for ``maximumHeadBytes``: large Keycloak tokens with many groups fit.
    package static let defaultMaximumHeadBytes = 320 * 1024
    /// The default for ``maximumFieldCount``.
    package static let defaultMaximumFieldCount = 256
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
    /// Whether the request being decoded asks to switch protocols.
    private var upgradeAfterEnd = false
    /// The buffer of the last head, reused for the next once nothing else holds it (the exchange ended).
    private var spareHeadStorage: ByteBuffer?

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
        while let part = try nextPart(&buffer, allocator: context.channel.allocator) {
            context.fireChannelRead(Self.wrapInboundOut(HTTPServerRequestPart(part)))
        }
        return .needMoreData
    }

    /// At the end of the input: the parts still to deliver, then ``ClientRequestError/truncated`` if a request is
    /// unfinished. On removal from the pipeline (no end of input): the bytes not decoded, handed on as they are.
    package mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        if seenEOF {
            while let part = try nextPart(&buffer, allocator: context.channel.allocator) {
                context.fireChannelRead(Self.wrapInboundOut(HTTPServerRequestPart(part)))
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
    /// upgrade request, when the rest stays in `buffer`). A head is copied into a buffer of its own from
    /// `allocator`.
    package mutating func nextPart(_ buffer: inout ByteBuffer, allocator: ByteBufferAllocator = ByteBufferAllocator()) throws(ClientRequestError) -> ClientRequestPart? {
        while true {
            switch state {
            case .head:
                let found = try buffer.withUnsafeReadableBytes { bytes throws(ClientRequestError) -> (RequestHead, Int)? in
                    guard let length = try headScanner.scan(bytes) else { return nil }
                    let head = try RequestHeadParser.parseHead(UnsafeRawBufferPointer(rebasing: bytes[..<length]), headScanner,
                                                               reusing: &spareHeadStorage, allocator: allocator)
                    return (head, length)
                }
                guard let (head, length) = found else { return nil }
                spareHeadStorage = head.storageForReuse
                buffer.moveReaderIndex(forwardBy: length)
                headScanner.reset()
                upgradeAfterEnd = head.isUpgrade
                switch head.framing {
                case .none:
                    state = .body(BodyFramer(contentLength: 0))
                case .length(let length):
                    state = .body(BodyFramer(contentLength: length))
                case .chunked:
                    state = .body(BodyFramer(chunked: .clientRequest))
                }
                return .head(head)
            case .body(var body):
                let event: BodyFramer.Event?
                do { event = try body.next(&buffer) } catch { throw ClientRequestError(framing: error) }
                state = .body(body)
                switch event {
                case nil: return nil
                case .body(let slice)?: return .body(slice)
                case .end?: return end(nil)
                case .trailers?: state = .trailers
                }
            case .trailers:
                let found = try buffer.withUnsafeReadableBytes { bytes throws(ClientRequestError) -> (HTTPHeaders?, Int)? in
                    guard let length = try trailerScanner.scan(bytes) else { return nil }
                    return (try RequestHeadParser.parseTrailers(UnsafeRawBufferPointer(rebasing: bytes[..<length]), trailerScanner), length)
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
    private mutating func end(_ trailers: HTTPHeaders?) -> ClientRequestPart {
        state = upgradeAfterEnd ? .switched : .head
        upgradeAfterEnd = false
        return .end(trailers)
    }

    /// Whether the decoder stopped after a request asking to switch protocols (what follows is not HTTP).
    package var hasStoppedForSwitch: Bool {
        if case .switched = state { return true }
        return false
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
}

extension HTTPServerRequestPart {
    /// NIO's form of a decoded part (a `String` per field: not for the hot path).
    package init(_ part: ClientRequestPart) {
        switch part {
        case .head(let head): self = .head(head.httpRequestHead)
        case .body(let bytes): self = .body(bytes)
        case .end(let trailers): self = .end(trailers)
        }
    }
}

extension ClientRequestError {
    /// The request side's error for a body framing error.
    init(framing error: BodyFramingError) {
        switch error {
        case .malformedChunk: self = .malformedChunk
        case .chunkTooLarge: self = .chunkTooLarge
        }
    }
}
