/// Why a body's framing was refused, for ``BodyFramer`` and ``ChunkLine``; each side turns it into its own error.
package enum BodyFramingError: Error, Hashable, Sendable {
    /// A chunk-size line is malformed or too long, or a chunk's data is not followed by CRLF.
    case malformedChunk
    /// A chunk size has more digits than the rules allow, or does not fit an `Int`.
    case chunkTooLarge
}

/// The rules for chunked bodies (RFC 9112 §7.1) that the request decoder and the response framer do not share.
///
/// A client is untrusted and may be probing for a reading that differs from the server's, so its chunk lines are
/// held to the grammar and refused at the first byte that cannot fit; an upstream is a server the proxy chose,
/// read as it always was: leniently after the size, and only once a whole line has arrived.
package struct ChunkRules: Sendable {
    /// How the part of a chunk-size line after the size is read.
    package enum Extensions: Sendable {
        /// `*( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )` (RFC 9112 §7.1.1), then dropped.
        case checked
        /// Optional white space, then nothing or `;` and any bytes but control bytes (HTAB aside), dropped.
        case skipped
    }

    /// How the part after the size is read.
    package var extensions: Extensions
    /// The most hexadecimal digits in a size, leading zeros included (beyond: ``BodyFramingError/chunkTooLarge``).
    /// A size must fit an `Int` whatever this says.
    package var maximumSizeDigits: Int
    /// Whether a byte that can never be part of a valid chunk-size line, or anything but CRLF after a chunk's data,
    /// is refused as soon as it arrives; otherwise it is refused once the line (or both bytes) has arrived, so an
    /// input cut short there ends as truncated rather than malformed.
    package var refusesAtFirstBadByte: Bool

    /// A client's request body.
    package static let clientRequest = ChunkRules(extensions: .checked, maximumSizeDigits: .max, refusesAtFirstBadByte: true)
    /// An upstream's response body: 12 digits (2^48 bytes) at most.
    package static let upstreamResponse = ChunkRules(extensions: .skipped, maximumSizeDigits: 12, refusesAtFirstBadByte: false)
}

/// The chunk-size line of a chunked body: `chunk-size [ chunk-ext ] CRLF` (RFC 9112 §7.1).
package enum ChunkLine {
    /// The longest chunk-size line accepted (size, extensions and CRLF).
    package static let maximumBytes = 4096

    /// The value of a hexadecimal digit, nil for any other byte.
    @inline(__always)
    package static func hexValue(_ byte: UInt8) -> Int? {
        if byte &- 0x30 < 10 { return Int(byte &- 0x30) }
        let lowered = byte | 0x20
        if lowered &- 0x61 < 6 { return Int(lowered &- 0x61 + 10) }
        return nil
    }

    /// Whether `byte` may stand in a chunk-size line at all: anything but control bytes, except HTAB and CR (which
    /// the line's end checks).
    @inline(__always)
    static func mayAppear(_ byte: UInt8) -> Bool {
        byte >= 0x20 && byte != 0x7F || byte == 0x09 || byte == 0x0D
    }

    /// The chunk size of `line` (without its CRLF): `1*HEXDIG`, then what follows read as `rules` say.
    package static func size(of line: UnsafeRawBufferPointer, rules: ChunkRules) throws(BodyFramingError) -> Int {
        var size = 0
        var index = 0
        while index < line.count, let digit = hexValue(line[index]) {
            guard index < rules.maximumSizeDigits, size <= Int.max >> 4 else { throw .chunkTooLarge }
            size = size << 4 | digit
            index += 1
        }
        guard index > 0 else { throw .malformedChunk }
        switch rules.extensions {
        case .checked: try checkExtensions(line, from: index)
        case .skipped: try skipExtensions(line, from: index)
        }
        return size
    }

    /// Checks `line[index...]` against RFC 9112 §7.1.1's `chunk-ext`.
    private static func checkExtensions(_ line: UnsafeRawBufferPointer, from start: Int) throws(BodyFramingError) {
        var index = start
        func skipWhiteSpace() {
            while index < line.count, line[index] == 0x20 || line[index] == 0x09 { index += 1 }
        }
        func token() throws(BodyFramingError) {
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
    }

    /// Passes over `line[index...]`: white space, then nothing or `;` and bytes without control bytes (HTAB aside).
    private static func skipExtensions(_ line: UnsafeRawBufferPointer, from start: Int) throws(BodyFramingError) {
        var index = start
        while index < line.count, line[index] == 0x20 || line[index] == 0x09 { index += 1 }
        guard index < line.count else { return }
        guard line[index] == UInt8(ascii: ";") else { throw .malformedChunk }
        for byte in line[index...] where byte < 0x20 && byte != 0x09 || byte == 0x7F { throw .malformedChunk }
    }
}
