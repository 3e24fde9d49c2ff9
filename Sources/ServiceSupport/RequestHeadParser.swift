import NIOCore
import NIOHTTP1

/// Makes a request head (and a trailer section) from the bytes ``ClientRequestDecoder/SectionScanner`` found and
/// checked: the method, target and version, where the fields are, and the body's framing (RFC 9112 §6).
///
/// The scanner has already checked every byte's place in the syntax; this reads what the fields mean: values must
/// be UTF-8, `Content-Length` (read by ``ContentLengthField`` under its client-request rules) and
/// `Transfer-Encoding` must agree with RFC 9112 §6 and each other, `Host` may appear once.
enum RequestHeadParser {
    /// Makes the request head the scanner found in `bytes` (the head as received, from its section start) and
    /// decides the framing of its body: values must be UTF-8, `Content-Length` and `Transfer-Encoding` must agree
    /// with RFC 9112 §6 and each other, `Host` may appear once.
    static func parseHead(_ bytes: UnsafeRawBufferPointer, _ scanner: ClientRequestDecoder.SectionScanner,
                          reusing spare: inout ByteBuffer?, allocator: ByteBufferAllocator) throws(ClientRequestError) -> RequestHead {
        let method = Self.method(UnsafeRawBufferPointer(rebasing: bytes[scanner.requestLineStart..<scanner.methodEnd]))
        let minorVersion = Int(scanner.minorVersion)

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
            if span.hasNonASCII { try checkUTF8(value) }
        }

        let framing: RequestBodyFraming
        if let codings {
            // RFC 9112 §6.1 and §6.3: faulty framing in HTTP/1.0, a smuggling shape with Content-Length; only
            // `chunked` (once, last) is understood.
            guard minorVersion == 1 else { throw .transferEncodingInHTTP10 }
            guard contentLength == nil else { throw .conflictingFraming }
            guard !codings.malformed, codings.chunked <= 1, codings.lastIsChunked || codings.chunked == 0 else {
                throw .malformedTransferEncoding
            }
            guard !codings.unknown else { throw .unsupportedTransferCoding }
            framing = .chunked
        } else {
            framing = contentLength.map { .length($0.value) } ?? .none
        }
        // The head is kept from its request line on (not the empty lines before it).
        let start = scanner.requestLineStart
        return RequestHead(bytes: UnsafeRawBufferPointer(rebasing: bytes[start...]), method: method,
                           minorVersion: minorVersion, targetStart: scanner.methodEnd + 1 - start,
                           targetEnd: scanner.targetEnd - start, fields: scanner.fields, offset: start, framing: framing,
                           isUpgrade: sawUpgrade && connectionUpgrade, reusing: &spare, allocator: allocator)
    }

    /// The trailer fields of a chunked body (nil when there are none).
    static func parseTrailers(_ bytes: UnsafeRawBufferPointer, _ scanner: ClientRequestDecoder.SectionScanner) throws(ClientRequestError) -> HTTPHeaders? {
        guard !scanner.fields.isEmpty else { return nil }
        var fields: [(String, String)] = []
        fields.reserveCapacity(scanner.fields.count)
        for span in scanner.fields {
            let name = UnsafeRawBufferPointer(rebasing: bytes[Int(span.nameStart)..<Int(span.nameEnd)])
            let value = UnsafeRawBufferPointer(rebasing: bytes[Int(span.valueStart)..<Int(span.valueEnd)])
            if span.hasNonASCII { try checkUTF8(value) }
            fields.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
        return HTTPHeaders(fields)
    }

    /// A value with bytes above 0x7F must be UTF-8, so that whoever reads it as text reads what was received.
    private static func checkUTF8(_ value: UnsafeRawBufferPointer) throws(ClientRequestError) {
        // Decoding replaces invalid sequences with U+FFFD, so the result re-encodes to other bytes.
        guard String(decoding: value, as: UTF8.self).utf8.elementsEqual(value) else { throw .invalidFieldValueEncoding }
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
