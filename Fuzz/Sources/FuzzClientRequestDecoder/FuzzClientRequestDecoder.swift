// libFuzzer target: a client connection's bytes through ProxyCore's ClientRequestDecoder (the proxy's own strict
// HTTP/1.1 request decoder), with NIO's HTTPRequestDecoder (llhttp) as a second opinion.
//
// Input layout:
//   byte 0      bits 0-2: the head size limit (24, 48, 64, 128, 256, 1024, 8192 or 320 KiB, the default);
//               bits 3-5: the field count limit (1, 2, 3, 4, 8, 16, 64 or 256, the default);
//               bits 6-7: the trailer size limit (8, 32, 256 or 16 KiB, the default)
//   byte 1      bits 0-2: the trailer field count limit (1, 2, 3, 4, 8, 16, 32 or 64, the default)
//   bytes 2-3   a split position (little endian, modulo the client bytes' count + 1)
//   the rest    what the client sent
//
// The bytes are decoded three ways: all at once, in two pieces cut at the split position, and (when short) one byte
// at a time, each followed by the end of the input. Invariants checked (a violation traps, which libFuzzer reports as
// a crash):
// - every head is valid: the method a token of at most 32 bytes, the target visible ASCII (0x21 ... 0x7E), HTTP/1.0
//   or 1.1, field names tokens, values without control bytes (HTAB aside) and without SP or HTAB at either end, at
//   most one Host; its framing fields as RFC 9112 §6 allows them (Content-Length all the same digits, at most 2^62;
//   Transfer-Encoding exactly one `chunked`, only in HTTP/1.1, never with Content-Length);
// - the limits hold: an accepted head took at most the head size limit in bytes as received, has at most the field
//   count limit of fields; trailers are within their limits too;
// - parts come in order (head, body..., end), never an empty body part; a Content-Length head gets exactly that many
//   body bytes before its end, a head without Content-Length or Transfer-Encoding its end at once, trailers only on a
//   chunked body; after the end of an upgrade request (Connection: upgrade and an Upgrade field) nothing more;
// - body parts are the input's own bytes (the bytes just before the decoder's read position), and the decoder never
//   delivers more body bytes than the input held;
// - after an error, the decoder delivers nothing more, whatever bytes follow;
// - the three ways of feeding produce the same parts (bodies compared joined), the same error if any, the same
//   request boundaries and read position at the end, and the same end-of-input outcome;
// - NIO's decoder, given the requests our decoder accepted whole (up to the first whose method llhttp does not know,
//   or CONNECT, which llhttp makes a tunnel), parses them to the same method, target, version, header list (names
//   and values in order; llhttp keeps the white space after a value, which RFC 9110 §5.5 excludes, so it is dropped
//   before comparing), body and trailers. Where NIO refuses one of them, the ones before it must agree and the
//   refusal must be one of llhttp's known stricter choices (`knownRefusal`: it is printed once per kind); any other
//   refusal is a failure. Where NIO accepts a request that our decoder refused (limits aside), the target prints it
//   once per kind of error: reported, not a failure.
import NIOCore
import NIOEmbedded
import NIOHTTP1
@_spi(Fuzzing) import ProxyCore
import FuzzSupport

// MARK: Checking

func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        fatalError("invariant violated: \(message())")
    }
}

let tokenBytes: Set<UInt8> = Set(Array("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8))

func isToken(_ bytes: some Collection<UInt8>) -> Bool {
    !bytes.isEmpty && bytes.allSatisfy { tokenBytes.contains($0) }
}

// MARK: Parts in comparable form (the comparison with NIO's decoder lives in ProxyCore, shared with the unit tests)

typealias Head = NIORequestDecoderComparison.Head
typealias Decoded = NIORequestDecoderComparison.Part

func lowered(_ text: String) -> String { NIORequestDecoderComparison.lowered(text) }

func elements(_ value: String) -> [String] { NIORequestDecoderComparison.elements(value) }

/// How the body after a head is framed, by the reference reading of the head's fields.
enum Framing: Equatable {
    case length(Int)
    case chunked
}

struct Limits {
    var headBytes: Int
    var fields: Int
    var trailerBytes: Int
    var trailerFields: Int
}

/// How one way of feeding the bytes ended.
struct Outcome: Equatable {
    var parts: [Decoded] = []
    /// The error `nextPart` threw, if any (feeding stops there).
    var error: ClientRequestError?
    /// What `endOfInput` threw, when no error came first.
    var endOfInputError: ClientRequestError?
    /// Where the decoder's read position ended (bytes consumed).
    var consumed = 0
    /// Whether the decoder stopped after an upgrade request.
    var switched = false
    /// Each request accepted whole: the read positions where it starts, where its head ends and where it ends.
    var requests: [[Int]] = []
}

/// Checks one head on its own; returns its comparable form, its framing and whether it asks for an upgrade.
func examine(_ head: HTTPRequestHead, consumed: Int, limits: Limits) -> (Head, Framing, Bool) {
    let method = Array(head.method.rawValue.utf8)
    check(isToken(method) && method.count <= 32, "method \(printable(method)) is not a token of at most 32 bytes")
    let uri = Array(head.uri.utf8)
    check(!uri.isEmpty && uri.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }, "target \(printable(uri)) is not visible ASCII")
    check(head.version.major == 1 && (head.version.minor == 0 || head.version.minor == 1), "version \(head.version)")
    check(head.headers.count <= limits.fields, "\(head.headers.count) fields over the limit of \(limits.fields)")
    // The head as received held at least the request line, every field line and the empty line.
    var leastBytes = method.count + 1 + uri.count + 1 + 8 + 2 + 2
    var hosts = 0
    var lengths: [String] = []
    var codings: [String] = []
    var connectionUpgrade = false
    var upgrade = false
    for (name, value) in head.headers {
        checkField(name: name, value: value)
        leastBytes += name.utf8.count + 1 + value.utf8.count + 2
        switch lowered(name) {
        case "host": hosts += 1
        case "content-length": lengths += elements(value)
        case "transfer-encoding": codings += elements(value)
        case "connection": if elements(value).contains(where: { lowered($0) == "upgrade" }) { connectionUpgrade = true }
        case "upgrade": upgrade = true
        default: break
        }
    }
    check(hosts <= 1, "\(hosts) Host fields")
    check(consumed >= leastBytes, "a head of \(leastBytes) bytes or more took \(consumed) bytes")
    check(consumed <= limits.headBytes, "a head of \(consumed) bytes over the limit of \(limits.headBytes)")

    let framing: Framing
    if !codings.isEmpty {
        check(lengths.isEmpty, "Transfer-Encoding and Content-Length both accepted")
        check(head.version.minor == 1, "Transfer-Encoding accepted in HTTP/1.0")
        check(codings.count == 1 && lowered(codings[0]) == "chunked", "Transfer-Encoding \(codings) accepted")
        framing = .chunked
    } else if let first = lengths.first {
        let digits = Array(first.utf8)
        check(!digits.isEmpty && digits.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }, "Content-Length \(printable(digits)) accepted")
        check(lengths.allSatisfy { $0 == first }, "different Content-Length values \(lengths) accepted")
        let significant = digits.drop { $0 == 0x30 }
        check(significant.count <= 19, "Content-Length \(first) accepted")
        let value = significant.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        check(value <= 1 << 62, "Content-Length \(value) over 2^62 accepted")
        framing = .length(value)
    } else {
        framing = .length(0)
    }
    let fields = head.headers.map { [$0.name, $0.value] }
    return (Head(method: head.method.rawValue, uri: head.uri, minor: head.version.minor, fields: fields), framing,
            upgrade && connectionUpgrade)
}

/// A field line as decoded: a token name, a value without control bytes (HTAB aside) and without blanks at its ends.
func checkField(name: String, value: String) {
    check(isToken(name.utf8), "field name \(printable(name.utf8)) is not a token")
    let bytes = Array(value.utf8)
    check(!bytes.contains { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }, "field value \(printable(bytes)) holds a control byte")
    if let first = bytes.first, let last = bytes.last {
        check(first != 0x20 && first != 0x09 && last != 0x20 && last != 0x09, "field value \(printable(bytes)) has blanks at an end")
    }
}

// MARK: Decoding

/// Decodes `input` fed in the pieces `cuts` delimits, then signals the end of the input; checks every part.
func decode(_ input: [UInt8], cuts: [Int], limits: Limits) -> Outcome {
    var decoder = ClientRequestDecoderForFuzzing(maximumHeadBytes: limits.headBytes, maximumFieldCount: limits.fields,
                                                 maximumTrailerBytes: limits.trailerBytes,
                                                 maximumTrailerFieldCount: limits.trailerFields)
    var outcome = Outcome()
    /// The framing of the request whose body is being decoded (nil between requests), and its body bytes so far.
    var current: Framing?
    var upgradeRequest = false
    var requestStart = 0
    var headEnd = 0
    var bodyBytes = 0
    var deliveredBodyBytes = 0

    func record(_ part: HTTPServerRequestPart, before: Int, after: Int) {
        check(!outcome.switched, "a part after the end of an upgrade request")
        switch part {
        case .head(let head):
            check(current == nil, "a head before the previous request ended")
            let (comparable, framing, isUpgrade) = examine(head, consumed: after - before, limits: limits)
            outcome.parts.append(.head(comparable))
            current = framing
            upgradeRequest = isUpgrade
            requestStart = before
            headEnd = after
            bodyBytes = 0
        case .body(let buffer):
            check(current != nil, "a body without a head")
            check(buffer.readableBytes > 0, "an empty body part")
            let bytes = Array(buffer.readableBytesView)
            // Body bytes are slices of what was read: the bytes just before the read position.
            check(after >= bytes.count && input[(after - bytes.count)..<after].elementsEqual(bytes),
                  "body bytes \(printable(bytes)) are not the input's bytes before position \(after)")
            if case .length(let length) = current! {
                check(bodyBytes + bytes.count <= length, "more than Content-Length \(length) body bytes")
            }
            bodyBytes += bytes.count
            deliveredBodyBytes += bytes.count
            check(deliveredBodyBytes <= input.count, "\(deliveredBodyBytes) body bytes from \(input.count) input bytes")
            Decoded.appendBody(bytes, to: &outcome.parts)
        case .end(let trailers):
            check(current != nil, "an end without a head")
            switch current! {
            case .length(let length):
                check(bodyBytes == length, "Content-Length \(length) but \(bodyBytes) body bytes")
                check(trailers == nil, "trailers on a body that is not chunked")
            case .chunked:
                break
            }
            if let trailers {
                check(!trailers.isEmpty, "an empty trailer section delivered as trailers")
                check(trailers.count <= limits.trailerFields, "\(trailers.count) trailer fields over the limit of \(limits.trailerFields)")
                var leastBytes = 2
                for (name, value) in trailers {
                    checkField(name: name, value: value)
                    leastBytes += name.utf8.count + 1 + value.utf8.count + 2
                }
                check(leastBytes <= limits.trailerBytes, "a trailer section of \(leastBytes) bytes or more over the limit of \(limits.trailerBytes)")
            }
            outcome.parts.append(.end(trailers: trailers.map { $0.map { [$0.name, $0.value] } }))
            current = nil
            outcome.requests.append([requestStart, headEnd, after])
            if upgradeRequest { outcome.switched = true }
        }
    }

    var buffer = ByteBuffer()
    var start = 0
    for cut in cuts + [input.count] {
        buffer.writeBytes(input[start..<cut])
        start = cut
        do throws(ClientRequestError) {
            while true {
                let before = buffer.readerIndex
                guard let part = try decoder.nextPart(&buffer) else { break }
                record(part, before: before, after: buffer.readerIndex)
            }
        } catch {
            outcome.error = error
            outcome.consumed = buffer.readerIndex
            // The decoder is done: whatever follows, it delivers nothing more.
            buffer.writeBytes(input[start...])
            for _ in 0..<3 {
                do throws(ClientRequestError) {
                    let part = try decoder.nextPart(&buffer)
                    check(part == nil, "a part after the error \(error): \(part!)")
                } catch {}
            }
            return outcome
        }
    }
    outcome.consumed = buffer.readerIndex
    if outcome.switched {
        check(current == nil, "a request after the upgrade request")
    }
    do throws(ClientRequestError) {
        try decoder.endOfInput()
        check(current == nil || outcome.switched, "the input ended inside a request without an error")
    } catch {
        check(!outcome.switched, "end of input after an upgrade request: \(error)")
        outcome.endOfInputError = error
    }
    return outcome
}

// MARK: NIO's decoder

nonisolated(unsafe) var reported: Set<String> = []

func report(_ key: String, _ message: @autoclosure () -> String) {
    guard reported.insert(key).inserted else { return }
    print("FuzzClientRequestDecoder: note: \(message())")
}

/// Compares the requests our decoder accepted whole with what NIO's decoder makes of the same bytes: a
/// disagreement traps, a known difference is printed once per kind.
func compareWithNIO(_ input: [UInt8], _ ours: Outcome) {
    switch NIORequestDecoderComparison.compare(input, parts: ours.parts, boundaries: ours.requests, error: ours.error) {
    case .disagree(let message):
        fatalError(message)
    case .agree(let notes):
        for note in notes { report(note.key, note.message) }
    }
}

// MARK: Entry point

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count >= 4 else { return 0 }
    let data = Array(UnsafeRawBufferPointer(start: start, count: count))
    let limits = Limits(headBytes: [24, 48, 64, 128, 256, 1024, 8192, 320 * 1024][Int(data[0] & 7)],
                        fields: [1, 2, 3, 4, 8, 16, 64, 256][Int(data[0] >> 3 & 7)],
                        trailerBytes: [8, 32, 256, 16 * 1024][Int(data[0] >> 6)],
                        trailerFields: [1, 2, 3, 4, 8, 16, 32, 64][Int(data[1] & 7)])
    let input = Array(data[4...])
    let split = (Int(data[2]) | Int(data[3]) << 8) % (input.count + 1)

    let whole = decode(input, cuts: [], limits: limits)
    check(whole.consumed <= input.count && (whole.requests.last?[2] ?? 0) <= whole.consumed, "consumed \(whole.consumed) of \(input.count) bytes")
    let halves = decode(input, cuts: [split], limits: limits)
    check(whole == halves, "whole and split at \(split) differ:\n\(whole)\n\(halves)")
    if input.count <= 400 {
        let bytewise = decode(input, cuts: Array(0..<input.count), limits: limits)
        check(whole == bytewise, "whole and byte by byte differ:\n\(whole)\n\(bytewise)")
    }
    compareWithNIO(input, whole)
    return 0
}
