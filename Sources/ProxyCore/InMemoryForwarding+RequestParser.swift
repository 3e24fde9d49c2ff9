extension InMemoryForwarding {
    /// A header or trailer field as the in-memory upstream received it (value without the optional whitespace
    /// around it; bytes that are not UTF-8 are replaced).
    public struct Field: Sendable, Hashable, CustomStringConvertible {
        /// The field name, as sent.
        public var name: String
        /// The field value, as sent.
        public var value: String

        /// Creates a field.
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }

        /// `Name: value`, as on the wire.
        public var description: String { "\(name): \(value)" }

        /// Whether the name is `other`, ignoring ASCII case.
        public func hasName(_ other: String) -> Bool {
            name.utf8.count == other.utf8.count && name.lowercased() == other.lowercased()
        }
    }

    /// How the body of an upstream request was framed, from its head.
    public enum Framing: Sendable, Hashable {
        /// Neither `Content-Length` nor `Transfer-Encoding`: no body.
        case none
        /// `Content-Length`.
        case contentLength(Int)
        /// `Transfer-Encoding: chunked` (whether or not a `Content-Length` is present too).
        case chunked
    }

    /// One request as the in-memory upstream server parsed it from the bytes the proxy sent.
    public struct UpstreamRequest: Sendable, Hashable {
        /// Which upstream connection carried it (an index into ``InMemoryForwarding/upstreamConnections``).
        public var connection: Int
        /// The method, as sent.
        public var method: String
        /// The request target, as sent.
        public var target: String
        /// The header fields in the order they were sent.
        public var headers: [Field]
        /// The head's exact bytes, from the request line to the empty line included.
        public var rawHead: [UInt8]
        /// How the head framed the body.
        public var framing: Framing
        /// The body (chunk-decoded for a chunked body); for an incomplete request, what arrived of it.
        public var body: [UInt8]
        /// The trailer fields of a chunked body.
        public var trailers: [Field]
        /// Whether the whole request arrived.
        public var isComplete: Bool

        /// The values of the header fields named `name` (ignoring case), in order.
        public func values(of name: String) -> [String] {
            headers.filter { $0.hasName(name) }.map(\.value)
        }
    }
}

/// A strict HTTP/1.1 request parser (RFC 9112) standing for the upstream server: it finds where each request ends
/// exactly as a careful server would, and reports anything a careful server would refuse.
///
/// Stricter than the RFC where the proxy's own output has one form: no empty lines before a request line, no
/// obsolete line folding, no bare CR or LF, `HTTP/1.1` only, exactly one `Host`, no whitespace inside chunk lines,
/// at most one `Transfer-Encoding` field whose value is `chunked`. Several `Content-Length` fields with one value are
/// accepted (the RFC allows it) and so is `Content-Length` next to `Transfer-Encoding: chunked` (the chunked coding
/// frames the body): the invariant checks flag both.
enum StrictRequestParser {
    typealias Request = InMemoryForwarding.UpstreamRequest

    /// What the bytes from an offset hold.
    enum Outcome {
        /// A whole request, ending at `end`.
        case complete(Request, end: Int)
        /// The start of a request (its head, once the head is whole).
        case incomplete(Request?)
        /// Bytes no careful server would accept, and why.
        case malformed(String)
    }

    /// The requests of one connection.
    struct Parsed {
        /// The requests parsed, the last possibly incomplete.
        var requests: [Request] = []
        /// Whether the bytes end inside a request (whose head may not be whole yet).
        var endsInsideRequest = false
        /// Why the bytes stopped being a sequence of requests, if they did.
        var error: String?
    }

    /// Parses every request in `bytes`.
    static func parseAll(_ bytes: [UInt8], connection: Int) -> Parsed {
        var parsed = Parsed()
        var offset = 0
        while offset < bytes.count {
            switch parse(bytes, from: offset, connection: connection) {
            case .complete(let request, let end):
                parsed.requests.append(request)
                offset = end
            case .incomplete(let request):
                if let request { parsed.requests.append(request) }
                parsed.endsInsideRequest = true
                return parsed
            case .malformed(let reason):
                parsed.error = "request \(parsed.requests.count + 1) (byte \(offset)): \(reason)"
                return parsed
            }
        }
        return parsed
    }

    /// Parses the request that starts at `start`.
    static func parse(_ bytes: [UInt8], from start: Int, connection: Int) -> Outcome {
        var cursor = start
        guard case .line(let requestLine, let next) = line(in: bytes, from: cursor) else {
            return lineFailure(in: bytes, from: cursor) ?? .incomplete(nil)
        }
        cursor = next
        guard !requestLine.isEmpty else { return .malformed("an empty line where a request line belongs") }
        let startLine: (method: String, target: String)
        switch parseRequestLine(bytes[requestLine]) {
        case .success(let value): startLine = value
        case .failure(let failure): return .malformed(failure.reason)
        }
        var headers: [InMemoryForwarding.Field] = []
        while true {
            guard case .line(let fieldLine, let next) = line(in: bytes, from: cursor) else {
                return lineFailure(in: bytes, from: cursor) ?? .incomplete(nil)
            }
            cursor = next
            if fieldLine.isEmpty { break }
            switch parseField(bytes[fieldLine]) {
            case .success(let field): headers.append(field)
            case .failure(let failure): return .malformed(failure.reason)
            }
        }
        let framing: InMemoryForwarding.Framing
        switch frame(headers) {
        case .success(let value): framing = value
        case .failure(let failure): return .malformed(failure.reason)
        }
        var request = Request(connection: connection, method: startLine.method, target: startLine.target, headers: headers,
                              rawHead: Array(bytes[start..<cursor]), framing: framing, body: [], trailers: [],
                              isComplete: false)
        switch framing {
        case .none:
            request.isComplete = true
            return .complete(request, end: cursor)
        case .contentLength(let length):
            let available = bytes.count - cursor
            guard available >= length else {
                request.body = Array(bytes[cursor...])
                return .incomplete(request)
            }
            request.body = Array(bytes[cursor..<(cursor + length)])
            request.isComplete = true
            return .complete(request, end: cursor + length)
        case .chunked:
            return parseChunkedBody(bytes, from: cursor, into: request)
        }
    }

    // MARK: Body

    private static func parseChunkedBody(_ bytes: [UInt8], from start: Int, into partial: Request) -> Outcome {
        var request = partial
        var cursor = start
        while true {
            guard case .line(let sizeLine, let next) = line(in: bytes, from: cursor) else {
                if case .malformed(let reason)? = lineFailure(in: bytes, from: cursor) { return .malformed(reason) }
                return .incomplete(request)
            }
            guard let size = chunkSize(bytes[sizeLine]) else {
                return .malformed("a chunk size line that is not 1*HEXDIG [chunk-ext]: \(printable(bytes[sizeLine]))")
            }
            cursor = next
            if size == 0 { break }
            let available = bytes.count - cursor
            guard available >= size + 2 else {
                request.body += bytes[cursor..<(cursor + min(size, available))]
                if available > size, bytes[cursor + size] != cr { return .malformed("chunk data not followed by CRLF") }
                return .incomplete(request)
            }
            request.body += bytes[cursor..<(cursor + size)]
            guard bytes[cursor + size] == cr, bytes[cursor + size + 1] == lf else {
                return .malformed("chunk data not followed by CRLF")
            }
            cursor += size + 2
        }
        while true {
            guard case .line(let trailerLine, let next) = line(in: bytes, from: cursor) else {
                if case .malformed(let reason)? = lineFailure(in: bytes, from: cursor) { return .malformed(reason) }
                return .incomplete(request)
            }
            cursor = next
            if trailerLine.isEmpty { break }
            switch parseField(bytes[trailerLine]) {
            case .success(let field): request.trailers.append(field)
            case .failure(let failure): return .malformed("trailer section: " + failure.reason)
            }
        }
        request.isComplete = true
        return .complete(request, end: cursor)
    }

    /// `1*HEXDIG *( ";" token [ "=" ( token / quoted-string ) ] )` without whitespace; at most 15 digits.
    private static func chunkSize(_ line: ArraySlice<UInt8>) -> Int? {
        var index = line.startIndex
        var size = 0
        while index < line.endIndex, let digit = hexValue(line[index]) {
            guard index - line.startIndex < 15 else { return nil }
            size = size * 16 + digit
            index += 1
        }
        guard index > line.startIndex else { return nil }
        while index < line.endIndex {
            guard line[index] == UInt8(ascii: ";") else { return nil }
            index += 1
            let nameStart = index
            while index < line.endIndex, isTokenByte(line[index]) { index += 1 }
            guard index > nameStart else { return nil }
            guard index < line.endIndex, line[index] == UInt8(ascii: "=") else { continue }
            index += 1
            if index < line.endIndex, line[index] == UInt8(ascii: "\"") {
                guard let end = quotedStringEnd(line, from: index) else { return nil }
                index = end
            } else {
                let valueStart = index
                while index < line.endIndex, isTokenByte(line[index]) { index += 1 }
                guard index > valueStart else { return nil }
            }
        }
        return size
    }

    /// The index after the quoted string that starts at `start` (a `"`), if it is one.
    private static func quotedStringEnd(_ line: ArraySlice<UInt8>, from start: Int) -> Int? {
        var index = start + 1
        while index < line.endIndex {
            switch line[index] {
            case UInt8(ascii: "\""): return index + 1
            case UInt8(ascii: "\\"):
                guard index + 1 < line.endIndex, isFieldValueByte(line[index + 1]) else { return nil }
                index += 2
            case let byte where isFieldValueByte(byte): index += 1
            default: return nil
            }
        }
        return nil
    }

    // MARK: Head

    private struct Failure: Error {
        var reason: String
    }

    private static func parseRequestLine(_ line: ArraySlice<UInt8>) -> Result<(method: String, target: String), Failure> {
        let parts = line.split(separator: sp, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return .failure(Failure(reason: "a request line that is not method SP target SP version")) }
        guard !parts[0].isEmpty, parts[0].allSatisfy(isTokenByte) else {
            return .failure(Failure(reason: "a method that is not a token: \(printable(parts[0]))"))
        }
        guard !parts[1].isEmpty, parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return .failure(Failure(reason: "a request target that is not visible ASCII: \(printable(parts[1]))"))
        }
        guard Array(parts[2]) == Array("HTTP/1.1".utf8) else {
            return .failure(Failure(reason: "a version other than HTTP/1.1: \(printable(parts[2]))"))
        }
        return .success((String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self)))
    }

    /// `field-name ":" OWS field-value OWS`, without obsolete folding.
    private static func parseField(_ line: ArraySlice<UInt8>) -> Result<InMemoryForwarding.Field, Failure> {
        guard let first = line.first, first != sp, first != htab else {
            return .failure(Failure(reason: "a field line starting with whitespace (obsolete line folding)"))
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            return .failure(Failure(reason: "a field line without a colon: \(printable(line))"))
        }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty, name.allSatisfy(isTokenByte) else {
            return .failure(Failure(reason: "a field name that is not a token: \(printable(name))"))
        }
        var value = line[(colon + 1)...]
        while let byte = value.first, byte == sp || byte == htab { value = value.dropFirst() }
        while let byte = value.last, byte == sp || byte == htab { value = value.dropLast() }
        guard value.allSatisfy(isFieldValueByte) else {
            return .failure(Failure(reason: "a control character in the value of \(printable(name))"))
        }
        return .success(InMemoryForwarding.Field(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
    }

    /// The body's framing from the head, or why a careful server refuses the head.
    private static func frame(_ headers: [InMemoryForwarding.Field]) -> Result<InMemoryForwarding.Framing, Failure> {
        let hosts = headers.filter { $0.hasName("host") }.count
        guard hosts == 1 else { return .failure(Failure(reason: "\(hosts) Host fields (exactly one is required)")) }
        let codings = headers.filter { $0.hasName("transfer-encoding") }
        if !codings.isEmpty {
            guard codings.count == 1, codings[0].value.lowercased() == "chunked" else {
                return .failure(Failure(reason: "a Transfer-Encoding other than one chunked: \(codings.map(\.value))"))
            }
            return .success(.chunked)
        }
        let lengths = headers.filter { $0.hasName("content-length") }.map(\.value)
        guard let first = lengths.first else { return .success(.none) }
        guard lengths.allSatisfy({ $0 == first }), first.utf8.count <= 18, !first.isEmpty,
              first.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let length = Int(first) else {
            return .failure(Failure(reason: "an invalid or ambiguous Content-Length: \(lengths)"))
        }
        return .success(.contentLength(length))
    }

    // MARK: Lines and bytes

    private enum Line {
        /// The line's bytes without the CRLF, and where the next line starts.
        case line(Range<Int>, next: Int)
        case needMore
        case malformed(String)
    }

    private static func line(in bytes: [UInt8], from start: Int) -> Line {
        var index = start
        while index < bytes.count {
            switch bytes[index] {
            case lf:
                return .malformed("a bare LF at byte \(index)")
            case cr:
                guard index + 1 < bytes.count else { return .needMore }
                guard bytes[index + 1] == lf else { return .malformed("a bare CR at byte \(index)") }
                return .line(start..<index, next: index + 2)
            default:
                index += 1
            }
        }
        return .needMore
    }

    /// The outcome for a line that is not whole: malformed, or nil when more bytes may complete it.
    private static func lineFailure(in bytes: [UInt8], from start: Int) -> Outcome? {
        if case .malformed(let reason) = line(in: bytes, from: start) { return .malformed(reason) }
        return nil
    }

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
    private static let sp = UInt8(ascii: " ")
    private static let htab = UInt8(ascii: "\t")

    /// RFC 9110 `tchar`.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// A byte of a field value: HTAB, SP, VCHAR or obs-text.
    private static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte == htab || (byte >= 0x20 && byte != 0x7F)
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(byte - UInt8(ascii: "A")) + 10
        default: return nil
        }
    }

    /// At most 64 bytes of `bytes`, quoted, with anything but printable ASCII escaped (for messages).
    static func printable(_ bytes: some Collection<UInt8>) -> String {
        var text = ""
        for byte in bytes.prefix(64) {
            if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\\") {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                text += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return "\"" + text + (bytes.count > 64 ? "…" : "") + "\""
    }
}
