public import NIOCore
import NIOEmbedded
public import NIOHTTP1
public import ServiceSupport

/// The differential check of ``ClientRequestDecoder`` against NIO's `HTTPRequestDecoder` (llhttp), shared by the
/// fuzz target `FuzzClientRequestDecoder` and the unit tests that run its corpus: every request ours accepts whole
/// must be read by NIO's decoder to the same method, target, version, header list, body and trailers, or be refused
/// by it for one of llhttp's known stricter choices (``knownRefusal(_:_:after:_:headLength:error:)``).
///
/// Behind the `Fuzzing` SPI (a libFuzzer build cannot use `@testable import`); no part of the module's API.
@_spi(Fuzzing)
public enum NIORequestDecoderComparison {
    /// A request head in comparable form.
    public struct Head: Equatable, CustomStringConvertible, Sendable {
        public var method: String
        public var uri: String
        public var minor: Int
        /// Name and value of each field, in order.
        public var fields: [[String]]

        public init(method: String, uri: String, minor: Int, fields: [[String]]) {
            self.method = method
            self.uri = uri
            self.minor = minor
            self.fields = fields
        }

        public var description: String {
            "\(method) \(uri) HTTP/1.\(minor) \(fields.map { quoted($0[0].utf8) + ": " + quoted($0[1].utf8) })"
        }
    }

    /// A decoded part in comparable form (adjacent body parts joined).
    public enum Part: Equatable, CustomStringConvertible, Sendable {
        case head(Head)
        case body([UInt8])
        case end(trailers: [[String]]?)

        public var description: String {
            switch self {
            case .head(let head): return "head(\(head))"
            case .body(let bytes): return "body(\(quoted(bytes)))"
            case .end(let trailers): return "end(\(trailers.map { "\($0)" } ?? "nil"))"
            }
        }

        /// Appends body bytes to `parts`, joined with a body part just before them.
        public static func appendBody(_ bytes: [UInt8], to parts: inout [Part]) {
            if case .body(let previous)? = parts.last {
                parts[parts.count - 1] = .body(previous + bytes)
            } else {
                parts.append(.body(bytes))
            }
        }
    }

    /// What the comparison found.
    public enum Verdict: Equatable, Sendable {
        /// NIO's decoder reads what ours accepted alike; `notes` says where one refused what the other accepts
        /// for a known reason (keyed by kind, with a message).
        case agree(notes: [Note])
        /// NIO's decoder reads a request ours accepted differently, or refuses it for no known reason.
        case disagree(String)
    }

    /// A difference that is not a failure: a known stricter choice of llhttp, or a request NIO accepts where ours
    /// refused it.
    public struct Note: Equatable, Sendable {
        /// The kind of difference (one note a kind is enough).
        public var key: String
        public var message: String
    }

    // MARK: Comparing

    /// Compares the requests our decoder accepted whole from `input` (`parts`, with `boundaries`: for each request
    /// the offsets where it starts, where its head ends and where it ends) and the error it stopped at, if any,
    /// with what NIO's decoder makes of the same bytes.
    public static func compare(_ input: [UInt8], parts: [Part], boundaries: [[Int]], error: ClientRequestError?) -> Verdict {
        var notes: [Note] = []
        let requests = requestParts(parts)
        // Up to the first request whose method llhttp treats differently.
        var count = 0
        while count < requests.count, case .head(let head) = requests[count][0], methodDifference(head) == nil { count += 1 }
        if count > 0 {
            let bytes = input[..<boundaries[count - 1][2]]
            let theirs = decodeWithNIO(bytes)
            let accepted = requests[..<count].flatMap { $0 }
            if let nioError = theirs.error {
                // NIO refused one of the requests: the ones before it must agree, and the refusal must be a known one.
                let refused = theirs.completeRequests
                let agreed = requests[..<refused].flatMap { $0 }
                guard Array(theirs.parts.prefix(agreed.count)) == agreed else {
                    return .disagree("NIO decodes \(quoted(bytes)) differently:\nours  \(accepted)\nNIO's \(theirs.parts)")
                }
                guard case .head(let head) = requests[refused][0] else { return .disagree("a request without a head") }
                let range = boundaries[refused]
                guard let reason = knownRefusal(head, requests[refused], after: refused > 0 ? headOf(requests[refused - 1]) : nil,
                                                input[range[0]..<range[2]], headLength: range[1] - range[0], error: nioError) else {
                    return .disagree("NIO refuses \(quoted(input[range[0]..<range[2]])) (\(nioError)) which ours accepts as \(requests[refused]); NIO's parts \(theirs.parts)")
                }
                notes.append(Note(key: reason, message: "NIO refuses what ours accepts: \(reason) (\(nioError)): \(quoted(input[range[0]..<range[2]].prefix(512)))"))
            } else if theirs.parts != accepted {
                return .disagree("NIO decodes \(quoted(bytes)) differently:\nours  \(accepted)\nNIO's \(theirs.parts)")
            }
        }
        // A request refused by ours (not for a limit) that NIO completes: a note, not a failure.
        if let error, count == requests.count,
           ![ClientRequestError.headTooLarge, .tooManyFields, .trailersTooLarge, .tooManyTrailerFields].contains(error) {
            let theirs = decodeWithNIO(input[...])
            if theirs.completeRequests > count {
                notes.append(Note(key: "\(error)", message: "NIO accepts a request refused with \(error): \(quoted(input[(boundaries.last?[2] ?? 0)...].prefix(512)))"))
            }
        }
        return .agree(notes: notes)
    }

    /// The parts of each request accepted whole.
    static func requestParts(_ parts: [Part]) -> [[Part]] {
        var requests: [[Part]] = []
        var current: [Part] = []
        for part in parts {
            current.append(part)
            if case .end = part {
                requests.append(current)
                current = []
            }
        }
        return requests
    }

    // MARK: NIO's decoder

    /// What NIO's decoder made of some bytes.
    struct NIOOutcome {
        var parts: [Part] = []
        var error: (any Error)?
        var completeRequests: Int {
            parts.count { if case .end = $0 { return true } else { return false } }
        }
    }

    /// A field as NIO's decoder delivers it, for comparison: llhttp keeps the white space after a value, which RFC
    /// 9110 §5.5 says is not part of it (ours drops it).
    static func nioField(_ name: String, _ value: String) -> [String] {
        var bytes = value.utf8[...]
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes = bytes.dropFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes = bytes.dropLast() }
        return [name, String(decoding: bytes, as: UTF8.self)]
    }

    static func decodeWithNIO(_ bytes: ArraySlice<UInt8>) -> NIOOutcome {
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish(acceptAlreadyClosed: true) }
        var outcome = NIOOutcome()
        do {
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
            try channel.writeInbound(channel.allocator.buffer(bytes: bytes))
        } catch {
            outcome.error = error
        }
        while let part = try? channel.readInbound(as: HTTPServerRequestPart.self) {
            switch part {
            case .head(let head):
                outcome.parts.append(.head(Head(method: head.method.rawValue, uri: head.uri, minor: head.version.minor,
                                                fields: head.headers.map { nioField($0.name, $0.value) })))
            case .body(let buffer):
                Part.appendBody(Array(buffer.readableBytesView), to: &outcome.parts)
            case .end(let trailers):
                outcome.parts.append(.end(trailers: trailers.map { $0.map { nioField($0.name, $0.value) } }))
            }
        }
        return outcome
    }

    /// Why NIO's decoder cannot be compared with ours on a request from its head on, if it cannot: llhttp knows a
    /// fixed list of methods (RFC 9110 allows any token), and treats CONNECT as a tunnel (its body is not HTTP);
    /// ours decodes any method alike.
    public static func methodDifference(_ head: Head) -> String? {
        switch HTTPMethod(rawValue: head.method) {
        case .RAW: return "a method llhttp does not know"
        case .CONNECT: return "CONNECT"
        default: return nil
        }
    }

    /// Why NIO's decoder may refuse a request ours accepts (`request`, behind one with head `previous`, from
    /// `bytes`, its head `headLength` bytes long) with `error`: a choice llhttp makes stricter than ours, not a
    /// disagreement about where the request ends; nil when none applies.
    public static func knownRefusal(_ head: Head, _ request: [Part], after previous: Head?, _ bytes: ArraySlice<UInt8>,
                                    headLength: Int, error: any Error) -> String? {
        if let error = error as? HTTPParserError, error == .closedConnection, let previous, !keepAlive(previous) {
            return "a request after one that asks to close (llhttp refuses any byte after it; ours decodes it, the forwarder closes after answering the first)"
        }
        if let error = error as? HTTPParserError, error == .invalidURL {
            return "a target llhttp's URL parser refuses (ours takes any visible ASCII and leaves the target's form to the policy)"
        }
        let lengths = head.fields.filter { lowered($0[0]) == "content-length" }.flatMap { elements($0[1]) }
        if lengths.count > 1 {
            return "Content-Length repeated (the same value, which RFC 9110 §8.6 allows; llhttp refuses any repetition)"
        }
        let chunked = head.fields.contains { lowered($0[0]) == "transfer-encoding" }
        if chunked && chunkLines(bytes.dropFirst(headLength)).contains(where: { $0.contains(0x20) || $0.contains(0x09) }) {
            return "white space in a chunk line (RFC 9112 §7.1.1 allows it around extensions; llhttp refuses it)"
        }
        if case .end(let trailers?)? = request.last,
           trailers.contains(where: { ["content-length", "transfer-encoding"].contains(lowered($0[0])) }) {
            return "a framing field among the trailers (llhttp refuses it; ours delivers it, the forwarder drops every trailer)"
        }
        return nil
    }

    /// Whether the connection stays open after a request with `head` (as NIO's `HTTPRequestHead.isKeepAlive` says).
    static func keepAlive(_ head: Head) -> Bool {
        HTTPRequestHead(version: HTTPVersion(major: 1, minor: head.minor), method: .GET, uri: "/",
                        headers: HTTPHeaders(head.fields.map { ($0[0], $0[1]) })).isKeepAlive
    }

    static func headOf(_ request: [Part]) -> Head? {
        if case .head(let head)? = request.first { return head }
        return nil
    }

    /// The chunk-size lines (without CRLF) of a chunked body that ours accepted, up to the last chunk's.
    static func chunkLines(_ body: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var index = body.startIndex
        while let lineEnd = body[index...].firstIndex(of: 0x0A) {
            let line = body[index..<(lineEnd - 1)]
            lines.append(line)
            var size = 0
            for byte in line {
                guard let digit = ChunkLine.hexValue(byte) else { break }
                size = size &* 16 &+ digit
            }
            if size == 0 { break }
            index = lineEnd + 1 + size + 2
            guard index < body.endIndex else { break }
        }
        return lines
    }

    // MARK: Text helpers

    /// `text` with ASCII upper case letters lowered.
    public static func lowered(_ text: String) -> String {
        String(decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// The elements of a comma-separated list, each without the SP and HTAB around it (empty ones kept).
    public static func elements(_ value: String) -> [String] {
        value.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).map { element in
            var slice = element
            while let first = slice.first, first == 0x20 || first == 0x09 { slice = slice.dropFirst() }
            while let last = slice.last, last == 0x20 || last == 0x09 { slice = slice.dropLast() }
            return String(decoding: slice, as: UTF8.self)
        }
    }

    /// `bytes` as a quoted string for a message (Swift's escapes; invalid UTF-8 replaced).
    static func quoted(_ bytes: some Sequence<UInt8>) -> String {
        String(decoding: Array(bytes), as: UTF8.self).debugDescription
    }
}
