// libFuzzer target: an upstream connection's bytes through ProxyCore's UpstreamResponseFramer.
//
// Input layout:
//   byte 0      request methods: bit i set = the (i mod 8)-th response on the connection answers a HEAD, else a GET
//   byte 1      bits 0-1: the head size limit (64, 256, 1024 or 4096 bytes)
//   bytes 2-3   a split position (little endian, modulo the response bytes' count + 1)
//   the rest    what the upstream sent
//
// The bytes are framed three ways: all at once, in two pieces cut at the split position, and (when short) one byte
// at a time. Invariants checked (a violation traps, which libFuzzer reports as a crash):
// - every head has a status the framer may deliver (101, or 200 ... 999), HTTP/1.0 or 1.1, holds exactly its bytes
//   from the status line through CRLF CRLF, and its field offsets point inside it at a valid name and value;
// - a head's framing follows the rules (no body for HEAD, 204, 304, 101; Content-Length agrees with the declared
//   length; never Content-Length and Transfer-Encoding both on a response with a body; untilClose and 101 are
//   not keep-alive);
// - heads, bodies and ends alternate properly, and a Content-Length body delivers exactly that many bytes before
//   its end (at most that many if the input stops early);
// - the framer never delivers more head and body bytes than the input held;
// - after a 101 the framer stops and leaves the rest of the input unread, byte for byte;
// - the three ways of feeding produce the same parts (bodies compared joined), the same error if any, and the same
//   end-of-input outcome.
import NIOCore
import NIOHTTP1
@_spi(Fuzzing) import ProxyCore

/// A delivered part in comparable form.
enum Framed: Equatable {
    case head(Head)
    case body([UInt8])
    case end(trailers: [[UInt8]]?)
}

struct Head: Equatable {
    var bytes: [UInt8]
    var status: UInt
    var minor: Int
    var framing: UpstreamResponseHead.BodyFraming
    var declaredContentLength: Int?
    var keepAlive: Bool
    var fields: [[Int32]]
    var roles: [UInt8]
}

/// How one way of feeding the bytes ended.
struct Outcome: Equatable {
    var parts: [Framed] = []
    /// The error `nextPart` threw, if any (feeding stops there).
    var error: UpstreamResponseError?
    /// What `endOfInput` returned or threw, when no error came first.
    var endOfInput: Framed?
    var endOfInputError: UpstreamResponseError?
    var switched = false
    /// The bytes left unread after a protocol switch.
    var leftover: [UInt8] = []
}

func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        fatalError("invariant violated: \(message())")
    }
}

let tokenBytes: Set<UInt8> = Set(Array("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8))

/// Checks one head on its own and returns its comparable form.
func examine(_ head: UpstreamResponseHead, answeringHEAD: Bool) -> Head {
    let bytes = Array(head.bytes.readableBytesView)
    let code = Int(head.status.code)
    check(code == 101 || (200...999).contains(code), "status \(code) delivered")
    check(head.version.major == 1 && (head.version.minor == 0 || head.version.minor == 1), "version \(head.version)")
    check(bytes.count >= 16, "head of \(bytes.count) bytes")
    check(bytes.starts(with: Array("HTTP/1.".utf8)), "head does not start with HTTP/1.")
    check(bytes.suffix(4).elementsEqual([0x0D, 0x0A, 0x0D, 0x0A]), "head does not end with CRLF CRLF")
    // Exactly one CRLF CRLF, at the end.
    for index in 0..<(bytes.count - 4) {
        check(!(bytes[index] == 0x0D && bytes[index + 1] == 0x0A && bytes[index + 2] == 0x0D && bytes[index + 3] == 0x0A),
              "head holds an empty line before its end")
    }
    let reasonStart = Int(head.reasonStart)
    let reasonEnd = Int(head.reasonEnd)
    check(reasonStart >= 12 && reasonStart <= reasonEnd && reasonEnd + 2 <= bytes.count, "reason offsets")
    check(bytes[reasonEnd] == 0x0D && bytes[reasonEnd + 1] == 0x0A, "status line does not end at reasonEnd")
    var previousLineEnd = reasonEnd
    var sawContentLength = false
    var sawTransferEncoding = false
    for field in head.fields {
        let (ns, ne, vs, ve, le) = (Int(field.nameStart), Int(field.nameEnd), Int(field.valueStart),
                                    Int(field.valueEnd), Int(field.lineEnd))
        check(ns == previousLineEnd + 2, "field line does not follow the previous line")
        check(ns < ne && ne < vs && vs <= ve && ve <= le && le + 4 <= bytes.count, "field offsets \(field)")
        check(bytes[ne] == UInt8(ascii: ":"), "no colon at nameEnd")
        check(bytes[ns..<ne].allSatisfy { tokenBytes.contains($0) }, "field name is not a token")
        check(bytes[vs..<ve].allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }, "control character in value")
        check(bytes[le] == 0x0D && bytes[le + 1] == 0x0A, "field line does not end with CRLF")
        check(Array(head.name(of: field)) == Array(bytes[ns..<ne]), "name(of:)")
        check(Array(head.value(of: field)) == Array(bytes[vs..<ve]), "value(of:)")
        switch field.role {
        case .contentLength: sawContentLength = true
        case .transferEncoding: sawTransferEncoding = true
        default: break
        }
        previousLineEnd = le
    }
    check(previousLineEnd + 4 == bytes.count, "the fields do not reach the end of the head")
    let bodyless = answeringHEAD || code == 204 || code == 304 || code == 101
    switch head.framing {
    case .none:
        check(bodyless, "no body for a \(code) answering \(answeringHEAD ? "HEAD" : "GET")")
    case .contentLength(let length):
        check(!bodyless, "a body for a bodyless response")
        check(length >= 0 && head.declaredContentLength == length, "Content-Length framing \(length) declared \(String(describing: head.declaredContentLength))")
        check(sawContentLength && !sawTransferEncoding, "Content-Length framing without the field or with Transfer-Encoding")
    case .chunked:
        check(!bodyless && sawTransferEncoding && !sawContentLength, "chunked framing")
    case .untilClose:
        check(!bodyless && !sawContentLength, "untilClose framing with Content-Length")
        check(!head.isKeepAlive, "untilClose but keep-alive")
    }
    if code == 101 { check(!head.isKeepAlive, "keep-alive after 101") }
    if sawContentLength { check(head.declaredContentLength != nil, "Content-Length field but no declared length") }
    // The string views must not trap either.
    _ = head.responseHead
    return Head(bytes: bytes, status: head.status.code, minor: head.version.minor, framing: head.framing,
                declaredContentLength: head.declaredContentLength, keepAlive: head.isKeepAlive,
                fields: head.fields.map { [$0.nameStart, $0.nameEnd, $0.valueStart, $0.valueEnd, $0.lineEnd] },
                roles: head.fields.map(\.role.rawValue))
}

/// Feeds `input` in the pieces `cuts` delimits and checks the sequence of parts.
func frame(_ input: ArraySlice<UInt8>, cuts: [Int], methods: UInt8, maximumHeadBytes: Int) -> Outcome {
    var framer = UpstreamResponseFramerForFuzzing(maximumHeadBytes: maximumHeadBytes)
    var outcome = Outcome()
    var responses = 0
    func method() -> HTTPMethod { methods & (1 << UInt8(responses % 8)) != 0 ? .HEAD : .GET }
    framer.requestSent(method: method())
    var answeringHEAD = method() == .HEAD
    /// The framing of the response whose body is being delivered, and its body bytes so far.
    var current: UpstreamResponseHead.BodyFraming?
    var bodyBytes = 0
    var deliveredBytes = 0

    func record(_ part: UpstreamResponsePart) {
        switch part {
        case .head(let head):
            check(current == nil, "a head before the previous response ended")
            check(!outcome.switched, "a part after the switch")
            outcome.parts.append(.head(examine(head, answeringHEAD: answeringHEAD)))
            deliveredBytes += head.bytes.readableBytes
            current = head.framing
            bodyBytes = 0
            if head.status.code == 101 { outcome.switched = true }
        case .body(let bytes):
            check(current != nil, "a body without a head")
            check(bytes.readableBytes > 0, "an empty body part")
            switch current! {
            case .none: check(false, "a body for a response framed without one")
            case .contentLength(let length):
                check(bodyBytes + bytes.readableBytes <= length, "more than Content-Length \(length) bytes")
            default: break
            }
            bodyBytes += bytes.readableBytes
            deliveredBytes += bytes.readableBytes
            if case .body(let previous)? = outcome.parts.last {
                outcome.parts[outcome.parts.count - 1] = .body(previous + Array(bytes.readableBytesView))
            } else {
                outcome.parts.append(.body(Array(bytes.readableBytesView)))
            }
        case .end(let trailers):
            check(current != nil, "an end without a head")
            switch current! {
            case .none: check(bodyBytes == 0, "body bytes for a bodyless response")
            case .contentLength(let length): check(bodyBytes == length, "Content-Length \(length) but \(bodyBytes) body bytes")
            case .chunked: break
            case .untilClose: check(trailers == nil, "trailers on a body delimited by the close")
            }
            if trailers != nil { check(current! == .chunked, "trailers on a body that is not chunked") }
            outcome.parts.append(.end(trailers: trailers.map { $0.map { Array("\($0.name): \($0.value)".utf8) } }))
            current = nil
            responses += 1
            framer.requestSent(method: method())
            answeringHEAD = method() == .HEAD
        }
        check(deliveredBytes <= input.count, "delivered \(deliveredBytes) bytes of \(input.count)")
    }

    var buffer = ByteBuffer()
    var start = input.startIndex
    for cut in cuts + [input.count] {
        let end = input.startIndex + cut
        buffer.writeBytes(input[start..<end])
        start = end
        do throws(UpstreamResponseError) {
            while let part = try framer.nextPart(&buffer) { record(part) }
        } catch {
            outcome.error = error
            return outcome
        }
    }
    if outcome.switched {
        check(framer.hasSwitchedProtocols, "hasSwitchedProtocols after a 101")
        check(current == nil, "no end after a 101")
        outcome.leftover = Array(buffer.readableBytesView)
        check(deliveredBytes + outcome.leftover.count <= input.count, "leftover after the switch")
    } else {
        check(!framer.hasSwitchedProtocols, "hasSwitchedProtocols without a 101")
    }
    do throws(UpstreamResponseError) {
        if let part = try framer.endOfInput(buffer) {
            record(part)
            outcome.endOfInput = outcome.parts.removeLast()
        }
    } catch {
        outcome.endOfInputError = error
    }
    // A complete input leaves nothing but a switched protocol's bytes unread.
    if outcome.endOfInputError == nil && !outcome.switched {
        check(current == nil, "input ended in a response without an error")
    }
    return outcome
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count >= 4 else { return 0 }
    let data = Array(UnsafeRawBufferPointer(start: start, count: count))
    let methods = data[0]
    let maximumHeadBytes = [64, 256, 1024, 4096][Int(data[1] & 3)]
    let input = data[4...]
    let split = (Int(data[2]) | Int(data[3]) << 8) % (input.count + 1)

    let whole = frame(input, cuts: [], methods: methods, maximumHeadBytes: maximumHeadBytes)
    let halves = frame(input, cuts: [split], methods: methods, maximumHeadBytes: maximumHeadBytes)
    check(whole == halves, "whole and split at \(split) differ:\n\(whole)\n\(halves)")
    if input.count <= 300 {
        let bytewise = frame(input, cuts: Array(0..<input.count), methods: methods, maximumHeadBytes: maximumHeadBytes)
        check(whole == bytewise, "whole and byte by byte differ:\n\(whole)\n\(bytewise)")
    }
    return 0
}
