import NIOHTTP1

/// Makes a request head (and a trailer section) from the bytes ``ClientRequestDecoder/SectionScanner`` found and
/// checked: the method, target and version, the fields as strings, and the body's framing (RFC 9112 §6).
///
/// The scanner has already checked every byte's place in the syntax; this reads what the fields mean: values must
/// be UTF-8, `Content-Length` (read by ``ContentLengthField`` under its client-request rules) and
/// `Transfer-Encoding` must agree with RFC 9112 §6 and each other, `Host` may appear once.
enum RequestHeadParser {
    /// How the body after a request head is delimited (RFC 9112 §6.3).
    enum BodyFraming: Equatable {
        /// Exactly this many bytes (0 when the request declares no body).
        case contentLength(Int)
        /// The chunked transfer coding.
        case chunked
    }

    /// A request head made from its scanned bytes, with what the decoder needs to know about what follows it.
    struct ParsedHead {
        var head: HTTPRequestHead
        var framing: BodyFraming
        /// `Connection: upgrade` and an `Upgrade` field: after this request the connection may stop speaking HTTP.
        var isUpgrade: Bool
    }

    /// Makes the request head the scanner found in `bytes` (the head as received, from its section start) and
    /// decides the framing of its body: values must be UTF-8, `Content-Length` and `Transfer-Encoding` must agree
    /// with RFC 9112 §6 and each other, `Host` may appear once.
    static func parseHead(_ bytes: UnsafeRawBufferPointer, _ scanner: ClientRequestDecoder.SectionScanner) throws(ClientRequestError) -> ParsedHead {
        let method = Self.method(UnsafeRawBufferPointer(rebasing: bytes[scanner.requestLineStart..<scanner.methodEnd]))
        let uri = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(scanner.methodEnd + 1)..<scanner.targetEnd]), as: UTF8.self)
        let version = HTTPVersion(major: 1, minor: Int(scanner.minorVersion))

        var fields: [(String, String)] = []
        fields.reserveCapacity(scanner.fields.count)
        var sawHost = false
        var sawUpgrade = false
        var connectionUpgrade = false
        var contentLength: ContentLengthField?
        var codings: TransferCodings?
        for span in scanner.fields {
            let name = UnsafeRawBufferPointer(rebasing: bytes[Int(span.nameStart)..<Int(span.nameEnd)])
            let value = UnsafeRawBufferPointer(rebasing: bytes[Int(span.valueStart)..<Int(span.valueEnd)])
            switch name.count {
            case 4 where HTTPSyntax.equalsIgnoringCase(name, "host"):
                guard !sawHost else { throw .duplicateHost }
                sawHost = true
            case 7 where HTTPSyntax.equalsIgnoringCase(name, "upgrade"):
                sawUpgrade = true
            case 10 where HTTPSyntax.equalsIgnoringCase(name, "connection"):
                HTTPSyntax.forEachElement(of: value) { element in
                    if HTTPSyntax.equalsIgnoringCase(element, "upgrade") { connectionUpgrade = true }
                }
            case 14 where HTTPSyntax.equalsIgnoringCase(name, "content-length"):
                // llhttp's only white space in Content-Length is SP: a tab before, inside or after the value is
                // refused here too, so that no peer reads the framing differently (found by FuzzClientRequestDecoder).
                var lineEnd = Int(span.valueEnd)
                while lineEnd < bytes.count, bytes[lineEnd] == 0x20 || bytes[lineEnd] == 0x09 { lineEnd += 1 }
                guard !bytes[(Int(span.nameEnd) + 1)..<lineEnd].contains(0x09) else { throw .invalidContentLength }
                guard ContentLengthField.add(value, to: &contentLength, rules: .clientRequest) else { throw .invalidContentLength }
            case 17 where HTTPSyntax.equalsIgnoringCase(name, "transfer-encoding"):
                TransferCodings.add(value, to: &codings)
            default:
                break
            }
            fields.append((String(decoding: name, as: UTF8.self), try fieldValue(value, checked: span.hasNonASCII)))
        }

        let framing: BodyFraming
        if let codings {
            // RFC 9112 §6.1 and §6.3: faulty framing in HTTP/1.0, a smuggling shape with Content-Length; only
            // `chunked` (once, last) is understood.
            guard version.minor == 1 else { throw .transferEncodingInHTTP10 }
            guard contentLength == nil else { throw .conflictingFraming }
            guard !codings.malformed, codings.chunked <= 1, codings.lastIsChunked || codings.chunked == 0 else {
                throw .malformedTransferEncoding
            }
            guard !codings.unknown else { throw .unsupportedTransferCoding }
            framing = .chunked
        } else {
            framing = .contentLength(contentLength?.value ?? 0)
        }
        let head = HTTPRequestHead(version: version, method: method, uri: uri, headers: HTTPHeaders(fields))
        return ParsedHead(head: head, framing: framing, isUpgrade: sawUpgrade && connectionUpgrade)
    }

    /// The trailer fields of a chunked body (nil when there are none).
    static func parseTrailers(_ bytes: UnsafeRawBufferPointer, _ scanner: ClientRequestDecoder.SectionScanner) throws(ClientRequestError) -> HTTPHeaders? {
        guard !scanner.fields.isEmpty else { return nil }
        var fields: [(String, String)] = []
        fields.reserveCapacity(scanner.fields.count)
        for span in scanner.fields {
            let name = UnsafeRawBufferPointer(rebasing: bytes[Int(span.nameStart)..<Int(span.nameEnd)])
            let value = UnsafeRawBufferPointer(rebasing: bytes[Int(span.valueStart)..<Int(span.valueEnd)])
            fields.append((String(decoding: name, as: UTF8.self), try fieldValue(value, checked: span.hasNonASCII)))
        }
        return HTTPHeaders(fields)
    }

    /// A field value as a string; one with bytes above 0x7F must be UTF-8, so that what is forwarded (encoded
    /// from the string) is what was received.
    private static func fieldValue(_ value: UnsafeRawBufferPointer, checked: Bool) throws(ClientRequestError) -> String {
        let string = String(decoding: value, as: UTF8.self)
        // Decoding replaces invalid sequences with U+FFFD, so the result re-encodes to other bytes.
        if checked, !string.utf8.elementsEqual(value) { throw .invalidFieldValueEncoding }
        return string
    }

    /// The method, without making a string for the common ones.
    static func method(_ bytes: UnsafeRawBufferPointer) -> HTTPMethod {
        switch bytes.count {
        case 3:
            if equals(bytes, "GET") { return .GET }
            if equals(bytes, "PUT") { return .PUT }
        case 4:
            if equals(bytes, "POST") { return .POST }
            if equals(bytes, "HEAD") { return .HEAD }
        case 5:
            if equals(bytes, "PATCH") { return .PATCH }
        case 6:
            if equals(bytes, "DELETE") { return .DELETE }
        case 7:
            if equals(bytes, "OPTIONS") { return .OPTIONS }
        default:
            break
        }
        // Maps the other known names to their cases, anything else to `.RAW`.
        return HTTPMethod(rawValue: String(decoding: bytes, as: UTF8.self))
    }

    // MARK: Framing fields

    /// What the `Transfer-Encoding` lines list, joined in order.
    struct TransferCodings {
        /// An empty element, or a coding that is not a token, or `chunked` with parameters.
        var malformed = false
        /// How many times `chunked` is listed.
        var chunked = 0
        /// Whether the last coding listed is `chunked`.
        var lastIsChunked = false
        /// Whether a coding other than `chunked` is listed.
        var unknown = false

        /// Adds the codings of one `Transfer-Encoding` line.
        static func add(_ line: UnsafeRawBufferPointer, to codings: inout TransferCodings?) {
            var result = codings ?? TransferCodings()
            HTTPSyntax.forEachElement(of: line) { element in
                var tokenEnd = 0
                while tokenEnd < element.count, HTTPSyntax.isTokenByte(element[tokenEnd]) { tokenEnd += 1 }
                guard tokenEnd > 0 else {
                    result.malformed = true
                    return
                }
                if HTTPSyntax.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: element[..<tokenEnd]), "chunked") {
                    // `chunked` takes no parameters.
                    if tokenEnd < element.count { result.malformed = true }
                    result.chunked += 1
                    result.lastIsChunked = true
                } else {
                    result.unknown = true
                    result.lastIsChunked = false
                }
            }
            codings = result
        }
    }

    // MARK: Byte helpers

    /// Whether `bytes` equals `text` exactly.
    private static func equals(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        guard bytes.count == text.utf8CodeUnitCount else { return false }
        let expected = text.utf8Start
        for index in 0..<bytes.count where bytes[index] != expected[index] { return false }
        return true
    }
}
