extension ClientRequestDecoder {
    /// Where one field line's name and value are, as offsets from the start of its section.
    struct FieldSpan {
        var nameStart: Int32
        var nameEnd: Int32
        /// Start of the value, after leading white space.
        var valueStart: Int32
        /// End of the value, before trailing white space.
        var valueEnd: Int32
        /// Whether the value has bytes above 0x7F (so it must be checked to be UTF-8).
        var hasNonASCII: Bool
    }

    /// Checks a request head or a trailer section as it arrives, and finds where it ends.
    ///
    /// Resumable: it remembers the phase of the line it is in and how far it got, so a section arriving in pieces
    /// is looked at once in all (a client trickling a head one byte at a time costs one step per byte). It never
    /// looks past ``maximumBytes``: a section longer than that is refused as soon as more bytes than that are
    /// waiting, whether or not its end has arrived. Every byte counts, line endings and white space included.
    ///
    /// Offsets are relative to the start of the section (the reader index of the buffer it is in), which stays
    /// put until the whole section has arrived; they survive the buffer reclaiming read bytes.
    struct SectionScanner {
        enum Phase: UInt8 {
            /// At the start of a line before the request line: an empty line or the method.
            case beforeRequestLine
            /// After the CR of an empty line before the request line.
            case emptyLineLF
            case method
            case target
            /// `HTTP/d.d` CR LF.
            case version
            /// At the start of a field line, or of the empty line ending the section.
            case fieldStart
            case name
            /// White space between the colon and the value.
            case valueStart
            case value
            /// After the CR ending a field line.
            case fieldLF
            /// After the CR of the empty line ending the section.
            case finalLF
        }

        /// The most empty lines (CRLF) accepted before a request line (RFC 9112 §2.2).
        static let maximumEmptyLines = 8
        /// The longest method accepted.
        static let maximumMethodBytes = 32

        /// The largest section accepted, in bytes as received.
        let maximumBytes: Int
        /// The most field lines accepted.
        let maximumFields: Int
        /// Whether this scans a trailer section (no request line; its own errors).
        let isTrailers: Bool

        private(set) var phase: Phase
        /// The next byte to look at.
        private var position = 0
        private var emptyLines = 0
        private(set) var requestLineStart = 0
        private(set) var methodEnd = 0
        private(set) var targetEnd = 0
        /// The request line's minor version (the major one is always 1).
        private(set) var minorVersion: UInt8 = 1
        private var nameStart = 0
        private var nameEnd = 0
        private var valueStart = 0
        private var valueEnd = 0
        /// The bytes of the value so far, or-ed together (to tell whether any is above 0x7F).
        private var valueBytes: UInt64 = 0
        /// The field lines of the section so far.
        private(set) var fields: [FieldSpan] = []

        init(maximumBytes: Int, maximumFields: Int, isTrailers: Bool) {
            self.maximumBytes = maximumBytes
            self.maximumFields = maximumFields
            self.isTrailers = isTrailers
            self.phase = isTrailers ? .fieldStart : .beforeRequestLine
            // Room for a typical head (it grows once for a larger one and keeps that); trailers are rare.
            if !isTrailers { fields.reserveCapacity(16) }
        }

        /// Ready for the next section (keeping the field array's storage).
        mutating func reset() {
            phase = isTrailers ? .fieldStart : .beforeRequestLine
            position = 0
            emptyLines = 0
            fields.removeAll(keepingCapacity: true)
        }

        /// Whether any byte of a request line (not just empty lines before one) has arrived.
        var hasStartedRequest: Bool {
            phase != .beforeRequestLine && phase != .emptyLineLF
        }

        /// Scans the bytes that arrived since the last call (`bytes` starts at the section's start and holds at
        /// least what it held then); returns the length of the section once its empty line has arrived.
        mutating func scan(_ bytes: UnsafeRawBufferPointer) throws(ClientRequestError) -> Int? {
            let end = min(bytes.count, maximumBytes)
            var i = position
            defer { position = i }
            scan: while true {
                switch phase {
                case .beforeRequestLine:
                    guard i < end else { break scan }
                    if bytes[i] == 0x0D {
                        phase = .emptyLineLF
                        i += 1
                    } else {
                        requestLineStart = i
                        phase = .method
                    }
                case .emptyLineLF:
                    guard i < end else { break scan }
                    guard bytes[i] == 0x0A else { throw .malformedRequestLine }
                    i += 1
                    emptyLines += 1
                    guard emptyLines <= Self.maximumEmptyLines else { throw .tooManyEmptyLines }
                    phase = .beforeRequestLine
                case .method:
                    while i < end, HTTPSyntax.isTokenByte(bytes[i]) { i += 1 }
                    guard i - requestLineStart <= Self.maximumMethodBytes else { throw .malformedRequestLine }
                    guard i < end else { break scan }
                    guard bytes[i] == 0x20, i > requestLineStart else { throw .malformedRequestLine }
                    methodEnd = i
                    i += 1
                    phase = .target
                case .target:
                    // Visible ASCII only: 0x21...0x7E. Eight bytes at a time while none is another byte.
                    while i &+ 8 <= end {
                        let word = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                        if ClientRequestDecoder.hasByte(below: 0x21, word) || ClientRequestDecoder.hasByteAbove0x7E(word) { break }
                        i &+= 8
                    }
                    while i < end, bytes[i] &- 0x21 < 0x5E { i += 1 }
                    guard i < end else { break scan }
                    guard bytes[i] == 0x20, i > methodEnd + 1 else { throw .malformedRequestLine }
                    targetEnd = i
                    i += 1
                    phase = .version
                case .version:
                    // Exactly `HTTP/` DIGIT `.` DIGIT CR LF, checked as far as it has arrived.
                    let start = targetEnd + 1
                    let available = min(end, start + 10)
                    while i < available {
                        let byte = bytes[i]
                        let expected: Bool
                        switch i - start {
                        case 0: expected = byte == UInt8(ascii: "H")
                        case 1, 2: expected = byte == UInt8(ascii: "T")
                        case 3: expected = byte == UInt8(ascii: "P")
                        case 4: expected = byte == UInt8(ascii: "/")
                        case 5, 7: expected = byte &- 0x30 < 10
                        case 6: expected = byte == UInt8(ascii: ".")
                        case 8: expected = byte == 0x0D
                        default: expected = byte == 0x0A
                        }
                        guard expected else { throw .malformedRequestLine }
                        i += 1
                    }
                    guard i == start + 10 else { break scan }
                    guard bytes[start + 5] == UInt8(ascii: "1"), bytes[start + 7] &- 0x30 <= 1 else {
                        throw .unsupportedVersion
                    }
                    minorVersion = bytes[start + 7] &- 0x30
                    phase = .fieldStart
                case .fieldStart:
                    guard i < end else { break scan }
                    let byte = bytes[i]
                    if byte == 0x0D {
                        phase = .finalLF
                        i += 1
                        continue scan
                    }
                    if byte == 0x20 || byte == 0x09 { throw .obsoleteLineFolding }
                    guard fields.count < maximumFields else { throw isTrailers ? .tooManyTrailerFields : .tooManyFields }
                    nameStart = i
                    phase = .name
                case .name:
                    while i < end, HTTPSyntax.isTokenByte(bytes[i]) { i += 1 }
                    guard i < end else { break scan }
                    // A colon at once: white space before it, a bare CR or LF, or an empty name are refused.
                    guard bytes[i] == UInt8(ascii: ":"), i > nameStart else { throw .malformedField }
                    nameEnd = i
                    i += 1
                    phase = .valueStart
                case .valueStart:
                    while i < end, bytes[i] == 0x20 || bytes[i] == 0x09 { i += 1 }
                    guard i < end else { break scan }
                    valueStart = i
                    valueEnd = i
                    valueBytes = 0
                    phase = .value
                case .value:
                    // HTAB, SP, VCHAR and obs-text; the value ends before trailing white space. Eight bytes at a
                    // time while none is white space or a control byte, then up to eight one at a time.
                    var last = valueEnd
                    var seen = valueBytes
                    value: while true {
                        while i &+ 8 <= end {
                            let word = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                            if ClientRequestDecoder.hasByte(below: 0x21, word) || ClientRequestDecoder.hasByte(0x7F, word) { break }
                            seen |= word
                            i &+= 8
                            last = i
                        }
                        let stop = min(end, i &+ 8)
                        while i < stop {
                            let byte = bytes[i]
                            if byte > 0x20 && byte != 0x7F {
                                seen |= UInt64(byte)
                                i += 1
                                last = i
                            } else if byte == 0x20 || byte == 0x09 {
                                i += 1
                            } else {
                                break value
                            }
                        }
                        if i >= end { break }
                    }
                    valueEnd = last
                    valueBytes = seen
                    guard i < end else { break scan }
                    guard bytes[i] == 0x0D else { throw .malformedField }
                    i += 1
                    phase = .fieldLF
                case .fieldLF:
                    guard i < end else { break scan }
                    guard bytes[i] == 0x0A else { throw .malformedField }
                    i += 1
                    fields.append(FieldSpan(nameStart: Int32(truncatingIfNeeded: nameStart),
                                            nameEnd: Int32(truncatingIfNeeded: nameEnd),
                                            valueStart: Int32(truncatingIfNeeded: valueStart),
                                            valueEnd: Int32(truncatingIfNeeded: valueEnd),
                                            hasNonASCII: valueBytes & 0x8080_8080_8080_8080 != 0))
                    phase = .fieldStart
                case .finalLF:
                    guard i < end else { break scan }
                    guard bytes[i] == 0x0A else { throw .malformedField }
                    i += 1
                    return i
                }
            }
            // Out of bytes before the end of the section: refused if the limit, not the input, stopped the scan.
            if bytes.count > maximumBytes { throw isTrailers ? .trailersTooLarge : .headTooLarge }
            return nil
        }
    }

    // Tests on eight bytes at once (as in "Bit Twiddling Hacks"): a borrow or carry only ever starts at a byte that
    // matches, so the answer to "is there such a byte" is exact.

    /// Whether one of the bytes of `word` is below `limit` (at most 0x80).
    @inline(__always)
    static func hasByte(below limit: UInt8, _ word: UInt64) -> Bool {
        (word &- 0x0101_0101_0101_0101 &* UInt64(limit)) & ~word & 0x8080_8080_8080_8080 != 0
    }

    /// Whether one of the bytes of `word` is `byte`.
    @inline(__always)
    static func hasByte(_ byte: UInt8, _ word: UInt64) -> Bool {
        hasByte(below: 1, word ^ (0x0101_0101_0101_0101 &* UInt64(byte)))
    }

    /// Whether one of the bytes of `word` is above 0x7E.
    @inline(__always)
    static func hasByteAbove0x7E(_ word: UInt64) -> Bool {
        ((word &+ 0x0101_0101_0101_0101) | word) & 0x8080_8080_8080_8080 != 0
    }

}
