@testable import ServiceSupport
import NIOCore
import NIOHTTP1
import Testing
@testable import ProxyCore

@Suite("Client request decoding: refusals and limits")
struct ClientRequestDecoderRefusalTests {
    @Test("malformed request lines are refused (400), other HTTP versions get 505", arguments: [
        ("GET / HTTP/2.0\r\n\r\n", ClientRequestError.unsupportedVersion),
        ("GET / HTTP/1.2\r\n\r\n", .unsupportedVersion),
        ("GET / HTTP/0.9\r\n\r\n", .unsupportedVersion),
        ("GET / HTTP/3.1\r\n\r\n", .unsupportedVersion),
        ("GET / HTTP/1.1 \r\n\r\n", .malformedRequestLine),
        ("GET / http/1.1\r\n\r\n", .malformedRequestLine),
        ("GET / HTTP/11\r\n\r\n", .malformedRequestLine),
        ("GET / HTTP/1.10\r\n\r\n", .malformedRequestLine),
        ("GET / HTTP/1.1\n\r\n", .malformedRequestLine),
        ("GET / HTTP/1.1\r\r\n", .malformedRequestLine),
        ("GET /\r\n\r\n", .malformedRequestLine),
        ("GET  / HTTP/1.1\r\n\r\n", .malformedRequestLine),
        ("GET /  HTTP/1.1\r\n\r\n", .malformedRequestLine),
        ("GET /a b HTTP/1.1\r\n\r\n", .malformedRequestLine),
        (" GET / HTTP/1.1\r\n\r\n", .malformedRequestLine),
        ("GET\t/ HTTP/1.1\r\n\r\n", .malformedRequestLine),
        ("GE(T / HTTP/1.1\r\n\r\n", .malformedRequestLine),
        (String(repeating: "A", count: 33) + " / HTTP/1.1\r\n\r\n", .malformedRequestLine),
        ("GET /echo\u{7f} HTTP/1.1\r\n\r\n", .malformedRequestLine),
        ("GET /\u{0} HTTP/1.1\r\n\r\n", .malformedRequestLine),
        ("GET /caf\u{e9} HTTP/1.1\r\n\r\n", .malformedRequestLine),
        ("GET /\t HTTP/1.1\r\n\r\n", .malformedRequestLine),
        ("\u{0}\u{1}\u{2}garbage\r\n\r\n", .malformedRequestLine),
        ("HTTP/1.1 200 OK\r\n\r\n", .malformedRequestLine),
    ])
    func requestLine(input: String, error: ClientRequestError) throws {
        try expectRefused(input, error)
    }

    @Test("malformed field lines are refused: bare CR or LF, folding, white space before the colon, control bytes", arguments: [
        ("GET / HTTP/1.1\r\nHost: x\n\r\n", ClientRequestError.malformedField),
        ("GET / HTTP/1.1\r\nHost: x\r\n\n", .malformedField),
        ("GET / HTTP/1.1\r\nHost: x\r\n\r\r\n", .malformedField),
        ("GET / HTTP/1.1\r\nHost: x\rY: z\r\n\r\n", .malformedField),
        ("GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n", .obsoleteLineFolding),
        ("GET / HTTP/1.1\r\nX-A: 1\r\n\tfolded\r\n\r\n", .obsoleteLineFolding),
        ("GET / HTTP/1.1\r\n Host: x\r\n\r\n", .obsoleteLineFolding),
        ("GET / HTTP/1.1\r\nHost : x\r\n\r\n", .malformedField),
        ("GET / HTTP/1.1\r\nHost\t: x\r\n\r\n", .malformedField),
        ("GET / HTTP/1.1\r\n: x\r\n\r\n", .malformedField),
        ("GET / HTTP/1.1\r\nNoColon\r\n\r\n", .malformedField),
        ("GET / HTTP/1.1\r\nX(A): 1\r\n\r\n", .malformedField),
        ("GET / HTTP/1.1\r\nX-\u{e9}: 1\r\n\r\n", .malformedField),
        ("GET / HTTP/1.1\r\nX-A: a\u{0}b\r\n\r\n", .malformedField),
        ("GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n", .malformedField),
        ("GET / HTTP/1.1\r\nX-A: a\nb\r\n\r\n", .malformedField),
        ("GET / HTTP/1.1\r\nX-A: a\u{7f}b\r\n\r\n", .malformedField),
        ("GET / HTTP/1.1\r\nX-A: a\u{1b}b\r\n\r\n", .malformedField),
        ("GET / HTTP/1.1\r\nX-A: \u{1}\r\n\r\n", .malformedField),
        ("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", .duplicateHost),
    ])
    func fieldLines(input: String, error: ClientRequestError) throws {
        try expectRefused(input, error)
    }

    @Test("a bad byte anywhere in a long value or target is found, whether it arrives in a word or alone")
    func badBytesAtEveryOffset() throws {
        let filler = Array(repeating: UInt8(ascii: "a"), count: 20)
        for offset in 0..<17 {
            let prefix = Array(repeating: UInt8(ascii: "v"), count: offset)
            for bad: UInt8 in [0x00, 0x01, 0x0A, 0x0D, 0x1F, 0x7F] {
                let value = prefix + [bad] + filler
                try expectDecodes(Array("GET / HTTP/1.1\r\nX-A: ".utf8) + value + Array("\r\n\r\n".utf8), as: [.error(.malformedField)])
            }
            for bad: UInt8 in [0x00, 0x09, 0x0D, 0x7F, 0x80, 0xFF] {
                let target = [UInt8(ascii: "/")] + prefix + [bad] + filler
                try expectDecodes(Array("GET ".utf8) + target + Array(" HTTP/1.1\r\n\r\n".utf8), as: [.error(.malformedRequestLine)])
            }
            // A byte above 0x7F that is not UTF-8, and white space, at the same offsets.
            try expectDecodes(Array("GET / HTTP/1.1\r\nX-A: ".utf8) + prefix + [0xFF] + filler + Array("\r\n\r\n".utf8),
                              as: [.error(.invalidFieldValueEncoding)])
            let spaced = String(repeating: "v", count: offset + 1) + " \t " + String(repeating: "a", count: 20)
            try expectDecodes("GET /" + String(repeating: "t", count: offset) + " HTTP/1.1\r\nX-A:" + spaced + " \t \t\r\n\r\n",
                              as: [.head(.GET, "/" + String(repeating: "t", count: offset), [DecodedField("X-A", spaced)]), .end])
        }
    }

    @Test("field values with bytes above 0x7F must be UTF-8, so that what is forwarded is what was received")
    func utf8Values() throws {
        let head = Array("GET / HTTP/1.1\r\nX-A: ".utf8)
        let end = Array("\r\n\r\n".utf8)
        let invalid: [[UInt8]] = [
            [0x80], [0xFF], [0x61, 0xC3], [0xC3, 0x28], [0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80],
            [0xF0, 0x9F, 0x98], [0xF0, 0x9F, 0x98, 0x61], [0xF4, 0x90, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80],
            [0xEF, 0xBF, 0xBD, 0x80],
        ]
        for value in invalid {
            try expectDecodes(head + value + end, as: [.error(.invalidFieldValueEncoding)])
        }
        // Valid UTF-8, U+FFFD itself included, is kept as it is.
        let valid: [UInt8] = [0xC3, 0xA9, 0x20, 0xEF, 0xBF, 0xBD, 0x20, 0xF0, 0x9F, 0x99, 0x82]
        try expectDecodes(head + valid + end, as: [.head(.GET, "/", [DecodedField("X-A", "é \u{FFFD} 🙂")]), .end])
        // Trailers too.
        let chunked = Array("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: ".utf8)
        try expectDecodes(chunked + [0xC3] + end, as: [.head(.POST, "/", [DecodedField("Transfer-Encoding", "chunked")]),
                                                     .error(.invalidFieldValueEncoding)])
    }

    @Test("framing: Content-Length and Transfer-Encoding together, Transfer-Encoding in HTTP/1.0", arguments: [
        ("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", ClientRequestError.conflictingFraming),
        ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n", .conflictingFraming),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .transferEncodingInHTTP10),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n0\r\n\r\n", .transferEncodingInHTTP10),
    ])
    func conflictingFraming(input: String, error: ClientRequestError) throws {
        try expectRefused(input, error)
    }

    @Test("Transfer-Encoding: exactly chunked; other codings 501, malformed lists 400", arguments: [
        ("gzip", ClientRequestError.unsupportedTransferCoding),
        ("gzip, chunked", .unsupportedTransferCoding),
        ("identity", .unsupportedTransferCoding),
        ("x;a=b", .unsupportedTransferCoding),
        ("chunked, chunked", .malformedTransferEncoding),
        ("chunked\r\nTransfer-Encoding: chunked", .malformedTransferEncoding),
        ("chunked, gzip", .malformedTransferEncoding),
        ("chunked\r\nTransfer-Encoding: gzip", .malformedTransferEncoding),
        ("", .malformedTransferEncoding),
        ("chunked,", .malformedTransferEncoding),
        (", chunked", .malformedTransferEncoding),
        ("chunked;q=1", .malformedTransferEncoding),
        ("chunked x", .malformedTransferEncoding),
        ("\"chunked\"", .malformedTransferEncoding),
        ("chunked\r\nTransfer-Encoding:", .malformedTransferEncoding),
    ])
    func transferCodings(value: String, error: ClientRequestError) throws {
        try expectRefused("POST / HTTP/1.1\r\nTransfer-Encoding: \(value)\r\n\r\n0\r\n\r\n", error)
    }

    @Test("Content-Length: digits only, repeated only as the same digits, at most 2^62", arguments: [
        "+5", "-1", "1 0", "", " ", "5,", ",5", "5, 6", "5\r\nContent-Length: 6", "5\r\nContent-Length: 05", "0x5", "5.0",
        "99999999999999999999", "4611686018427387905", "5\r\nContent-Length:", "\u{662}",
        // A tab anywhere: llhttp refuses it (FuzzClientRequestDecoder's differential check found "003\t").
        "003\t", "\t3", "3\t ", "3,\t3",
    ])
    func invalidContentLength(value: String) throws {
        try expectRefused("POST / HTTP/1.1\r\nContent-Length: \(value)\r\n\r\n", .invalidContentLength)
    }

    @Test("the largest Content-Length accepted is 2^62")
    func largestContentLength() throws {
        #expect(try decodeRequests("POST / HTTP/1.1\r\nContent-Length: 4611686018427387904\r\n\r\nab")
                == [.head(.POST, "/", [DecodedField("Content-Length", "4611686018427387904")]), .body("ab")])
    }

    @Test("chunk framing: sizes, extensions, the CRLF after the data, trailers", arguments: [
        ("zz\r\n", ClientRequestError.malformedChunk),
        ("\r\n", .malformedChunk),
        (";x\r\n", .malformedChunk),
        ("-1\r\n", .malformedChunk),
        ("5\nhello\r\n", .malformedChunk),
        ("5\r\r\nhello\r\n", .malformedChunk),
        ("5 \r\nhello\r\n", .malformedChunk),
        ("5 x\r\nhello\r\n", .malformedChunk),
        ("5;\r\nhello\r\n", .malformedChunk),
        ("5;a=\r\nhello\r\n", .malformedChunk),
        ("5;a =\r\nhello\r\n", .malformedChunk),
        ("5;a \r\nhello\r\n", .malformedChunk),
        ("5;a=b c\r\nhello\r\n", .malformedChunk),
        ("5;a=\"b\r\nhello\r\n", .malformedChunk),
        ("5;a=\"b\\\"\r\nhello\r\n", .malformedChunk),
        ("5;a=\"\u{1}\"\r\nhello\r\n", .malformedChunk),
        ("5;a=b\u{0}\r\nhello\r\n", .malformedChunk),
        ("5;(a)\r\nhello\r\n", .malformedChunk),
        ("3\r\nabcX\r\n0\r\n\r\n", .malformedChunk),
        ("3\r\nabc\n0\r\n\r\n", .malformedChunk),
        ("3\r\nabc\r0\r\n\r\n", .malformedChunk),
        ("3\r\nabcd\r\n", .malformedChunk),
        ("10000000000000000\r\n", .chunkTooLarge),
        ("8000000000000000\r\n", .chunkTooLarge),
        ("0\r\nBad Trailer: 1\r\n\r\n", .malformedField),
        ("0\r\nX: 1\r\n folded\r\n\r\n", .obsoleteLineFolding),
        ("0\r\nX: a\u{0}\r\n\r\n", .malformedField),
        ("0\r\n\n", .malformedField),
    ])
    func chunks(body: String, error: ClientRequestError) throws {
        let before: [DecodedRequestPart] = [.head(.POST, "/", [DecodedField("Transfer-Encoding", "chunked")])]
        // Chunk data before the error is delivered.
        let data: [DecodedRequestPart] = body.hasPrefix("3\r\nabc") ? [.body("abc")] : []
        try expectRefused("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + body, error, after: before + data)
    }

    @Test("garbage is refused at its first byte, without waiting for a line end")
    func earlyRefusal() throws {
        let tlsClientHello: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03]
        #expect(try runRequestDecoder(tlsClientHello.map { [$0] }).bytesFedAtError == 1)
        #expect(try runRequestDecoder("GET /\u{1}".utf8.map { [$0] }).bytesFedAtError == 6)
        #expect(try runRequestDecoder("GET / HTTP/1.1\r\nX: a\u{0}".utf8.map { [$0] }).bytesFedAtError == 21)
        let chunked = Array("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        #expect(try runRequestDecoder((chunked + [0x67]).map { [$0] }).bytesFedAtError == chunked.count + 1)
        #expect(try runRequestDecoder((chunked + Array("1\r\naX".utf8)).map { [$0] }).bytesFedAtError == chunked.count + 5)
    }

    // MARK: Limits

    @Test("30,000 tiny fields (390 KB) are refused: by the field count, and with a higher count by the byte limit")
    func tinyFields() throws {
        let input = Array(("GET / HTTP/1.1\r\n" + String(repeating: "X-Aaaaaa: 1\r\n", count: 30_000) + "\r\n").utf8)
        #expect(input.count > 390_000)
        let chunks = stride(from: 0, to: input.count, by: 4096).map { Array(input[$0..<min(input.count, $0 + 4096)]) }
        // By the count: as soon as the 257th field line starts.
        let byCount = try runRequestDecoder(chunks)
        #expect(byCount.parts == [.error(.tooManyFields)])
        #expect(byCount.bytesFedAtError == 4096)
        #expect(try runRequestDecoder([input]).parts == [.error(.tooManyFields)])
        #expect(ClientRequestError.tooManyFields.status == .requestHeaderFieldsTooLarge)
        // By the bytes: as soon as more than 320 KiB have arrived without the end of the head.
        let bytes = try runRequestDecoder(chunks, decoder: ClientRequestDecoder(maximumFieldCount: 100_000))
        #expect(bytes.parts == [.error(.headTooLarge)])
        #expect(bytes.bytesFedAtError == 320 * 1024 + 4096)
        #expect(try runRequestDecoder([input], decoder: ClientRequestDecoder(maximumFieldCount: 100_000)).parts == [.error(.headTooLarge)])
    }

    @Test("the byte limit counts the whole head as received: empty lines, separators, padding, line ends")
    func headByteLimit() throws {
        let head = "\r\nGET / HTTP/1.1\r\nX-Pad:" + String(repeating: " ", count: 900) + "a" + String(repeating: "\t", count: 50) + "\r\n\r\n"
        let size = head.utf8.count
        let expected: [DecodedRequestPart] = [.head(.GET, "/", [DecodedField("X-Pad", "a")]), .end]
        #expect(try decodeRequests(head, decoder: ClientRequestDecoder(maximumHeadBytes: size)) == expected)
        #expect(try decodeRequests(head + "GET / HTTP/1.1\r\n", decoder: ClientRequestDecoder(maximumHeadBytes: size)) == expected)
        #expect(try decodeRequests(head, decoder: ClientRequestDecoder(maximumHeadBytes: size - 1)) == [.error(.headTooLarge)])
        #expect(try decodeRequests("\r\n" + head, decoder: ClientRequestDecoder(maximumHeadBytes: size)) == [.error(.headTooLarge)])
        try expectDecodes(head, as: expected, decoder: ClientRequestDecoder(maximumHeadBytes: size))
        try expectDecodes(head, as: [.error(.headTooLarge)], decoder: ClientRequestDecoder(maximumHeadBytes: size - 1))
        // With the default limit: a few fields padded with white space to more than 320 KiB in all.
        let padded = "GET / HTTP/1.1\r\n" + String(repeating: "X-Pad: " + String(repeating: " ", count: 100 * 1024) + "a\t\t\r\n", count: 4) + "\r\n"
        #expect(try decodeRequests(padded) == [.error(.headTooLarge)])
        let fitting = "GET / HTTP/1.1\r\n" + String(repeating: "X-Pad: " + String(repeating: " ", count: 100 * 1024) + "a\t\t\r\n", count: 3) + "\r\n"
        #expect(try decodeRequests(fitting) == [.head(.GET, "/", Array(repeating: DecodedField("X-Pad", "a"), count: 3)), .end])
        // The field count: exactly the limit is fine.
        let three = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"
        #expect(try decodeRequests(three, decoder: ClientRequestDecoder(maximumFieldCount: 3)).count == 2)
        #expect(try decodeRequests(three, decoder: ClientRequestDecoder(maximumFieldCount: 2)) == [.error(.tooManyFields)])
    }

    @Test("a head trickled without end is cut off as soon as it passes the limit")
    func trickledHead() throws {
        let limit = 2048
        var decoder = ClientRequestDecoder(maximumHeadBytes: limit)
        var buffer = ByteBuffer(string: "GET / HTTP/1.1\r\nX-Endless: ")
        var fed = buffer.readableBytes
        var caught: ClientRequestError?
        while caught == nil, fed <= 10 * limit {
            do {
                let part = try decoder.nextPart(&buffer)
                #expect(part == nil)
                buffer.writeString("a")
                fed += 1
            } catch {
                caught = error
            }
        }
        #expect(caught == .headTooLarge)
        #expect(fed == limit + 1)
        // Endless field lines and endless empty padding: the same.
        for line in ["X: 1\r\n", " "] {
            let run = try runRequestDecoder([Array("GET / HTTP/1.1\r\nX:".utf8)] + Array(repeating: Array(line.utf8), count: 3000),
                                     decoder: ClientRequestDecoder(maximumHeadBytes: limit, maximumFieldCount: 10_000))
            #expect(run.parts == [.error(.headTooLarge)])
            #expect(run.bytesFedAtError.map { $0 > limit && $0 <= limit + line.utf8.count } == true)
        }
    }

    @Test("trailer sections have their own limits; chunk-size lines are bounded")
    func trailerAndChunkLineLimits() throws {
        let head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        let before: [DecodedRequestPart] = [.head(.POST, "/", [DecodedField("Transfer-Encoding", "chunked")])]
        let trailers = "0\r\n" + String(repeating: "T: 1\r\n", count: 65) + "\r\n"
        try expectRefused(head + trailers, .tooManyTrailerFields, after: before)
        #expect(ClientRequestError.tooManyTrailerFields.status == .requestHeaderFieldsTooLarge)
        #expect(try decodeRequests(head + trailers, decoder: ClientRequestDecoder(maximumTrailerFieldCount: 65)).last
                == .end(trailers: Array(repeating: DecodedField("T", "1"), count: 65)))
        let large = "0\r\nT: " + String(repeating: "v", count: 16 * 1024) + "\r\n\r\n"
        #expect(try decodeRequests(head + large) == before + [.error(.trailersTooLarge)])
        #expect(try decodeRequests(head + large, decoder: ClientRequestDecoder(maximumTrailerBytes: 17 * 1024)).last
                == .end(trailers: [DecodedField("T", String(repeating: "v", count: 16 * 1024))]))
        // A chunk-size line with extensions up to 4 KiB is fine; longer is refused without waiting for its end.
        let longest = "1;e=" + String(repeating: "x", count: 4096 - 6) + "\r\n"
        #expect(try decodeRequests(head + longest + "a\r\n0\r\n\r\n") == before + [.body("a"), .end])
        let tooLong = "1;e=" + String(repeating: "x", count: 4096 - 5) + "\r\n"
        #expect(try decodeRequests(head + tooLong) == before + [.error(.malformedChunk)])
    }

    @Test("every error knows its status and a bounded reason")
    func statusAndReason() {
        let table: [(ClientRequestError, Int, String)] = [
            (.malformedRequestLine, 400, "bad_request"), (.unsupportedVersion, 505, "unsupported_version"),
            (.malformedField, 400, "bad_request"), (.invalidFieldValueEncoding, 400, "bad_request"),
            (.obsoleteLineFolding, 400, "bad_request"), (.tooManyEmptyLines, 400, "bad_request"),
            (.headTooLarge, 431, "headers_too_large"), (.tooManyFields, 431, "too_many_headers"),
            (.trailersTooLarge, 431, "headers_too_large"), (.tooManyTrailerFields, 431, "too_many_headers"),
            (.duplicateHost, 400, "bad_request"), (.invalidContentLength, 400, "bad_framing"),
            (.conflictingFraming, 400, "bad_framing"), (.malformedTransferEncoding, 400, "bad_framing"),
            (.transferEncodingInHTTP10, 400, "bad_framing"), (.unsupportedTransferCoding, 501, "unsupported_transfer_coding"),
            (.malformedChunk, 400, "bad_framing"), (.chunkTooLarge, 413, "body_too_large"), (.truncated, 400, "truncated"),
        ]
        for (error, status, reason) in table {
            #expect(Int(error.status.code) == status, "\(error)")
            #expect(error.reason == reason, "\(error)")
            #expect(error.description.hasPrefix("ClientRequestError(\(status) \(reason)): "))
        }
        #expect(Set(table.map(\.0)).count == table.count)
    }

    @Test("token and hexadecimal byte classes match RFC 9110 for all 256 bytes")
    func byteClasses() {
        let tokenPunctuation = Set("!#$%&'*+-.^_`|~".utf8)
        for byte in UInt8.min...UInt8.max {
            let isAlphaNumeric = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            #expect(HTTPSyntax.isTokenByte(byte) == (isAlphaNumeric || tokenPunctuation.contains(byte)), "\(byte)")
            let hex = Int(String(UnicodeScalar(byte)), radix: 16)
            #expect(ChunkLine.hexValue(byte) == (byte < 0x80 ? hex : nil), "\(byte)")
        }
    }

    @Test("the eight-bytes-at-once tests answer exactly as byte-by-byte ones")
    func wordTests() {
        func check(_ word: UInt64) {
            let bytes = (0..<8).map { UInt8(truncatingIfNeeded: word >> ($0 * 8)) }
            #expect(ClientRequestDecoder.hasByte(below: 0x21, word) == bytes.contains { $0 < 0x21 }, "\(word)")
            #expect(ClientRequestDecoder.hasByte(0x7F, word) == bytes.contains(0x7F), "\(word)")
            #expect(ClientRequestDecoder.hasByteAbove0x7E(word) == bytes.contains { $0 > 0x7E }, "\(word)")
        }
        // Every byte value in every position of a harmless word, then pseudo-random words (a fixed LCG) whose
        // bytes cluster around the boundaries.
        for position in 0..<8 {
            for byte in UInt64(0)...255 {
                check(0x6161_6161_6161_6161 & ~(0xFF << (position * 8)) | byte << (position * 8))
            }
        }
        let interesting: [UInt64] = [0x00, 0x01, 0x09, 0x0D, 0x0A, 0x1F, 0x20, 0x21, 0x22, 0x61, 0x7E, 0x7F, 0x80, 0x81, 0xFE, 0xFF]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<20_000 {
            var word: UInt64 = 0
            for position in 0..<8 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                word |= interesting[Int(state >> 60)] << (position * 8)
            }
            check(word)
        }
    }
}
