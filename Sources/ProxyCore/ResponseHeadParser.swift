import NIOCore
import NIOHTTP1
import ServiceSupport

/// Parses the lines of one upstream response head held in `bytes` (which ends with CRLF CRLF) for
/// ``UpstreamResponseFramer``: the status line, fields with their roles, and the body's framing (`Content-Length` read
/// by ``ContentLengthField`` under its relayed rules).
struct ResponseHeadParser {
    let bytes: UnsafeRawBufferPointer

    /// The offset just past the CRLF ending the line that starts at `start`; throws on a CR or LF alone.
    private func lineEnd(from start: Int) throws(UpstreamResponseError) -> Int {
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0D {
                guard index + 1 < bytes.count, bytes[index + 1] == 0x0A else { throw .malformedHeaderLine }
                return index
            }
            if byte == 0x0A { throw .malformedHeaderLine }
            index += 1
        }
        throw .malformedHeaderLine
    }

    func parse(buffer: ByteBuffer, bodyless: Bool) throws(UpstreamResponseError) -> UpstreamResponseHead {
        // Status line: HTTP/1.x SP 3DIGIT [SP reason]
        let statusEnd: Int
        do { statusEnd = try lineEnd(from: 0) } catch { throw .malformedStatusLine }
        guard statusEnd >= 12, bytes[0] == 0x48, bytes[1] == 0x54, bytes[2] == 0x54, bytes[3] == 0x50, bytes[4] == 0x2F,
              bytes[5] == 0x31, bytes[6] == 0x2E, bytes[7] == 0x30 || bytes[7] == 0x31, bytes[8] == 0x20
        else { throw .malformedStatusLine }
        var code = 0
        for index in 9..<12 {
            let byte = bytes[index]
            guard byte >= 0x30 && byte <= 0x39 else { throw .malformedStatusLine }
            code = code * 10 + Int(byte - 0x30)
        }
        guard code >= 100 else { throw .malformedStatusLine }
        var reasonStart = statusEnd
        if statusEnd > 12 {
            guard bytes[12] == 0x20 else { throw .malformedStatusLine }
            reasonStart = 13
            for index in 13..<statusEnd where Self.isControl(bytes[index]) { throw .malformedStatusLine }
        }
        let version = HTTPVersion(major: 1, minor: bytes[7] == 0x31 ? 1 : 0)

        var fields: [UpstreamResponseHead.Field] = []
        fields.reserveCapacity(16)
        var lineStart = statusEnd + 2
        var connectionClose = false
        var connectionKeepAlive = false
        var listed: [(Int, Int)] = []
        var contentLength: ContentLengthField?
        var sawContentLength = false
        var sawTransferEncoding = false
        var chunkedLast = false
        while true {
            let end = try lineEnd(from: lineStart)
            if end == lineStart { break }  // the empty line
            let (colon, valueStart, valueEnd) = try fieldLine(from: lineStart, to: end)
            let name = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<colon])
            let value = UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd])
            var role = UpstreamResponseHead.FieldRole.endToEnd
            switch HopByHopName(name) {
            case .connection?:
                role = .hopByHop
                Self.forEachToken(in: value) { token in
                    if HTTPSyntax.equalsIgnoringCase(token, "close") {
                        connectionClose = true
                    } else if HTTPSyntax.equalsIgnoringCase(token, "keep-alive") {
                        connectionKeepAlive = true
                    } else if HopByHopName(token) == nil {
                        let offset = token.baseAddress! - bytes.baseAddress!
                        listed.append((offset, offset + token.count))
                    }
                }
            case .transferEncoding?:
                role = .transferEncoding
                sawTransferEncoding = true
                Self.forEachToken(in: value) { token in chunkedLast = HTTPSyntax.equalsIgnoringCase(token, "chunked") }
            case .some:
                role = .hopByHop
            case nil:
                if HTTPSyntax.equalsIgnoringCase(name, "content-length") {
                    role = .contentLength
                    sawContentLength = true
                    guard ContentLengthField.add(value, to: &contentLength, rules: .relayed) else { throw .invalidContentLength }
                }
            }
            fields.append(.init(nameStart: Int32(lineStart), nameEnd: Int32(colon), valueStart: Int32(valueStart),
                                valueEnd: Int32(valueEnd), lineEnd: Int32(end), role: role))
            lineStart = end + 2
        }
        if !listed.isEmpty {
            // Names the upstream listed in `Connection` belong to that connection too.
            for index in fields.indices where fields[index].role == .endToEnd {
                let name = UnsafeRawBufferPointer(rebasing: bytes[Int(fields[index].nameStart)..<Int(fields[index].nameEnd)])
                if listed.contains(where: { HTTPSyntax.equalsIgnoringCase(name, UnsafeRawBufferPointer(rebasing: bytes[$0.0..<$0.1])) }) {
                    fields[index].role = .hopByHop
                }
            }
        }

        let framing: UpstreamResponseHead.BodyFraming
        var keepAlive = version.minor == 1 ? !connectionClose : connectionKeepAlive && !connectionClose
        if bodyless {
            framing = .none
        } else if sawTransferEncoding {
            if sawContentLength { throw .conflictingFraming }
            framing = chunkedLast ? .chunked : .untilClose
        } else if let contentLength {
            framing = .contentLength(contentLength.value)
        } else {
            framing = .untilClose
        }
        // After a 101 the connection no longer speaks HTTP; a body delimited by the close ends it.
        if framing == .untilClose || code == 101 { keepAlive = false }
        return UpstreamResponseHead(
            bytes: buffer, version: version, status: HTTPResponseStatus(statusCode: code),
            reasonStart: Int32(reasonStart), reasonEnd: Int32(statusEnd), fields: fields, framing: framing,
            declaredContentLength: contentLength?.value, isKeepAlive: keepAlive)
    }

    /// Checks the field line `start..<end` (`name: value`): returns where its colon is and where its value starts
    /// and ends without surrounding white space.
    private func fieldLine(from start: Int, to end: Int) throws(UpstreamResponseError) -> (colon: Int, valueStart: Int, valueEnd: Int) {
        // Name: one or more token characters, then a colon at once.
        var colon = start
        while colon < end, HTTPSyntax.isTokenByte(bytes[colon]) { colon += 1 }
        guard colon > start, colon < end, bytes[colon] == UInt8(ascii: ":") else { throw .malformedHeaderLine }
        var valueStart = colon + 1
        while valueStart < end, bytes[valueStart] == 0x20 || bytes[valueStart] == 0x09 { valueStart += 1 }
        var valueEnd = end
        while valueEnd > valueStart, bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09 { valueEnd -= 1 }
        for index in valueStart..<valueEnd where Self.isControl(bytes[index]) && bytes[index] != 0x09 {
            throw .malformedHeaderLine
        }
        return (colon, valueStart, valueEnd)
    }

    /// Trailer fields (the lines of a chunked body's end), as headers.
    func parseTrailers() throws(UpstreamResponseError) -> HTTPHeaders {
        var headers = HTTPHeaders()
        var lineStart = 0
        while true {
            let end = try lineEnd(from: lineStart)
            if end == lineStart { return headers }
            let (colon, valueStart, valueEnd) = try fieldLine(from: lineStart, to: end)
            headers.add(name: String(decoding: bytes[lineStart..<colon], as: UTF8.self),
                        value: String(decoding: bytes[valueStart..<valueEnd], as: UTF8.self))
            lineStart = end + 2
        }
    }

    // MARK: Byte helpers

    static func isControl(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7F }

    /// Calls `body` with each non-empty element of a comma-separated list, trimmed of white space.
    static func forEachToken(in value: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        HTTPSyntax.forEachElement(of: value) { element in
            if !element.isEmpty { body(element) }
        }
    }
}
