package import NIOCore

/// Reads one message body delimited by `Content-Length` or by the chunked coding (RFC 9112 §6, §7.1): a value fed
/// the bytes that follow a head, which hands back body slices and then where the body ends. The one body reader of
/// the request decoder and the upstream response framer; what they do not share is in ``ChunkRules``.
///
/// Body bytes are slices of the buffer it is fed, never joined with framing bytes. It consumes a buffer's bytes
/// only as far as it has read them; after an error it consumes nothing and throws the same error again.
package struct BodyFramer {
    /// What the bytes at hand held.
    package enum Event {
        /// Bytes of the body.
        case body(ByteBuffer)
        /// The end of a body delimited by its length (or of an empty one).
        case end
        /// The last chunk's size line has been read: the trailer section (RFC 9112 §7.1.2) starts at the buffer's
        /// reader index. The caller reads it with its own field rules; the framer has nothing more to give.
        case trailers
    }

    private enum State {
        /// This many bytes still to come (at 0: the end is next).
        case length(remaining: Int)
        /// Waiting for a chunk-size line, this many bytes of which have been looked at.
        case chunkSize(scanned: Int)
        /// Inside a chunk's data.
        case chunkData(remaining: Int)
        /// After a chunk's data: CRLF must follow.
        case chunkDataEnd
        /// After the end or the start of the trailers.
        case done
    }

    private var state: State
    private let rules: ChunkRules

    /// A body of exactly `contentLength` bytes.
    package init(contentLength: Int) {
        state = .length(remaining: contentLength)
        rules = .clientRequest
    }

    /// A chunked body, read under `rules`.
    package init(chunked rules: ChunkRules) {
        state = .chunkSize(scanned: 0)
        self.rules = rules
    }

    /// The next event `buffer` holds in full, consuming its bytes; nil when more bytes are needed (or after the
    /// end or the start of the trailers).
    package mutating func next(_ buffer: inout ByteBuffer) throws(BodyFramingError) -> Event? {
        while true {
            switch state {
            case .length(let remaining):
                if remaining == 0 {
                    state = .done
                    return .end
                }
                guard buffer.readableBytes > 0 else { return nil }
                let length = min(remaining, buffer.readableBytes)
                state = .length(remaining: remaining - length)
                return .body(buffer.readSlice(length: length)!)
            case .chunkSize(let scanned):
                guard let (size, lineLength) = try chunkLine(buffer, scanned: scanned) else { return nil }
                buffer.moveReaderIndex(forwardBy: lineLength)
                if size == 0 {
                    state = .done
                    return .trailers
                }
                state = .chunkData(remaining: size)
            case .chunkData(let remaining):
                guard buffer.readableBytes > 0 else { return nil }
                let length = min(remaining, buffer.readableBytes)
                state = length == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - length)
                return .body(buffer.readSlice(length: length)!)
            case .chunkDataEnd:
                guard buffer.readableBytes >= (rules.refusesAtFirstBadByte ? 1 : 2) else { return nil }
                guard buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == 0x0D else { throw .malformedChunk }
                guard buffer.readableBytes > 1 else { return nil }
                guard buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self) == 0x0A else { throw .malformedChunk }
                buffer.moveReaderIndex(forwardBy: 2)
                state = .chunkSize(scanned: 0)
            case .done:
                return nil
            }
        }
    }

    /// The size of the chunk whose size line starts `buffer` and the line's length with its CRLF, once the line
    /// has arrived; `scanned` bytes of it were looked at before (and the new count is kept).
    private mutating func chunkLine(_ buffer: ByteBuffer, scanned: Int) throws(BodyFramingError) -> (size: Int, length: Int)? {
        let rules = self.rules
        let found = try buffer.withUnsafeReadableBytes { bytes throws(BodyFramingError) -> (scanned: Int, line: (Int, Int)?) in
            guard bytes.count > 0 else { return (scanned, nil) }
            if rules.refusesAtFirstBadByte, ChunkLine.hexValue(bytes[0]) == nil { throw .malformedChunk }
            let end = min(bytes.count, ChunkLine.maximumBytes)
            var index = scanned
            while index < end {
                let byte = bytes[index]
                if byte == 0x0A { break }
                if rules.refusesAtFirstBadByte, !ChunkLine.mayAppear(byte) { throw .malformedChunk }
                index += 1
            }
            guard index < end else {
                if bytes.count >= ChunkLine.maximumBytes { throw .malformedChunk }
                return (index, nil)
            }
            guard index > 0, bytes[index - 1] == 0x0D else { throw .malformedChunk }
            let size = try ChunkLine.size(of: UnsafeRawBufferPointer(rebasing: bytes[..<(index - 1)]), rules: rules)
            return (0, (size, index + 1))
        }
        guard let line = found.line else {
            state = .chunkSize(scanned: found.scanned)
            return nil
        }
        return line
    }
}
