public import NIOCore
public import NIOHTTP1

/// A request head as the client sent it: its bytes, where each field line's name and value are, and what the
/// decoder learned from it (method, version, body framing, keep-alive, protocol switch).
///
/// No `String` is made per field: names and values are read in place (``forEachField(_:)``,
/// ``firstValue(named:)``), and a forwarder writes the fields it keeps upstream byte for byte. The bytes and the
/// table of field positions share one buffer of their own (copied out of the connection's read buffer, so a
/// long-lived request such as a watch keeps only its head, not what was read with it).
///
/// Fields can be removed (hop-by-hop headers, framing): removed fields are skipped by every accessor and never
/// written upstream. ``headers`` and ``httpRequestHead`` make NIO's types for code off the hot path.
public struct RequestHead: Sendable {
    /// The request method.
    public let method: HTTPMethod
    /// `HTTP/1.1` or `HTTP/1.0`.
    public let version: HTTPVersion
    /// How the body that follows is delimited (read by the decoder from `Content-Length` / `Transfer-Encoding`).
    public let framing: RequestBodyFraming
    /// Whether the client lets the connection carry another request after this one (RFC 9112 §9.3).
    public let isKeepAlive: Bool
    /// `Connection: upgrade` together with an `Upgrade` field: the request asks to switch protocols.
    public let isUpgrade: Bool
    /// The number of field lines received, removed ones included.
    public let receivedFieldCount: Int

    /// The head's bytes (from the request line to the empty line), then 16 bytes per field: name start (bit 31:
    /// removed), name end, value start, value end, as big-endian `UInt32` offsets into the head's bytes.
    private var storage: ByteBuffer
    private let headLength: Int
    private let targetStart: Int
    private let targetEnd: Int

    private static let removedBit: UInt32 = 1 << 31

    // MARK: Making heads

    /// A head from its bytes (`bytes`, from the request line on) and what the decoder found in them. `fields`
    /// holds where each field line's name and value are, at `offset` bytes before the start of `bytes`.
    /// The buffer is `spare` when nothing else holds it any more (the previous head's, on a connection whose
    /// exchange ended: no allocation), else a new one from `allocator`.
    init(bytes: UnsafeRawBufferPointer, method: HTTPMethod, minorVersion: Int, targetStart: Int, targetEnd: Int,
         fields: [ClientRequestDecoder.FieldSpan], offset: Int, framing: RequestBodyFraming, isUpgrade: Bool,
         reusing spare: inout ByteBuffer?, allocator: ByteBufferAllocator) {
        let capacity = bytes.count + 16 * fields.count
        var storage = spare.takeSpare(capacity: capacity, allocator: allocator)
        storage.writeBytes(bytes)
        var closeRequested = false
        var keepAliveRequested = false
        for span in fields {
            let nameStart = Int(span.nameStart) - offset
            let nameEnd = Int(span.nameEnd) - offset
            let valueStart = Int(span.valueStart) - offset
            let valueEnd = Int(span.valueEnd) - offset
            storage.writeInteger(UInt32(nameStart))
            storage.writeInteger(UInt32(nameEnd))
            storage.writeInteger(UInt32(valueStart))
            storage.writeInteger(UInt32(valueEnd))
            let name = UnsafeRawBufferPointer(rebasing: bytes[nameStart..<nameEnd])
            if name.count == 10, HTTPSyntax.equalsIgnoringCase(name, "connection") {
                HTTPSyntax.forEachElement(of: UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd])) { option in
                    if HTTPSyntax.equalsIgnoringCase(option, "close") { closeRequested = true }
                    if HTTPSyntax.equalsIgnoringCase(option, "keep-alive") { keepAliveRequested = true }
                }
            }
        }
        self.storage = storage
        self.headLength = bytes.count
        self.method = method
        self.version = HTTPVersion(major: 1, minor: minorVersion)
        self.targetStart = targetStart
        self.targetEnd = targetEnd
        self.receivedFieldCount = fields.count
        self.framing = framing
        self.isUpgrade = isUpgrade
        // NIO's rule (`HTTPHeaders.isKeepAlive(version:)`): HTTP/1.1 unless `close`, HTTP/1.0 only with `keep-alive`.
        self.isKeepAlive = minorVersion >= 1 ? !closeRequested : keepAliveRequested
    }

    /// The head NIO's `head` describes, rendered as HTTP/1.1 bytes (for tests and for code that builds heads).
    /// Framing and protocol switch are read from its fields the way the decoder reads them; nothing is validated.
    public init(_ head: HTTPRequestHead) {
        var text: [UInt8] = []
        text.append(contentsOf: head.method.rawValue.utf8)
        text.append(0x20)
        let targetStart = text.count
        text.append(contentsOf: head.uri.utf8)
        let targetEnd = text.count
        text.append(contentsOf: " HTTP/1.\(head.version.minor)\r\n".utf8)
        var fields: [ClientRequestDecoder.FieldSpan] = []
        for (name, value) in head.headers {
            let nameStart = text.count
            text.append(contentsOf: name.utf8)
            let nameEnd = text.count
            text.append(contentsOf: ": ".utf8)
            fields.append(ClientRequestDecoder.FieldSpan(
                nameStart: Int32(nameStart), nameEnd: Int32(nameEnd), valueStart: Int32(text.count),
                valueEnd: Int32(text.count + value.utf8.count), hasNonASCII: false))
            text.append(contentsOf: value.utf8)
            text.append(contentsOf: "\r\n".utf8)
        }
        text.append(contentsOf: "\r\n".utf8)
        let framing: RequestBodyFraming
        if head.headers[canonicalForm: "transfer-encoding"].contains(where: { $0.lowercased() == "chunked" }) {
            framing = .chunked
        } else if let length = head.headers.first(name: "content-length").flatMap({ Int($0) }) {
            framing = .length(length)
        } else {
            framing = .none
        }
        let isUpgrade = head.headers.contains(name: "upgrade")
            && head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
        var spare: ByteBuffer?
        self = text.withUnsafeBytes { bytes in
            RequestHead(bytes: bytes, method: head.method, minorVersion: head.version.minor, targetStart: targetStart,
                        targetEnd: targetEnd, fields: fields, offset: 0, framing: framing, isUpgrade: isUpgrade,
                        reusing: &spare, allocator: ByteBufferAllocator())
        }
    }

    // MARK: Request line

    /// The request target, as sent.
    public var uri: String {
        withTargetBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// Calls `body` with the request target's bytes, as sent.
    public func withTargetBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try storage.withUnsafeReadableBytes { try body(UnsafeRawBufferPointer(rebasing: $0[targetStart..<targetEnd])) }
    }

    /// The buffer holding the head, for the decoder to reuse once this head is gone.
    var storageForReuse: ByteBuffer { storage }

    /// The number of bytes in the request target.
    public var targetLength: Int { targetEnd - targetStart }

    // MARK: Fields

    /// One field line, valid only inside the call that hands it out.
    public struct Field {
        /// The name, as sent.
        public let name: UnsafeRawBufferPointer
        /// The value without the white space around it.
        public let value: UnsafeRawBufferPointer
        /// The field's position among the fields received (for ``RequestHead/removeField(at:)``).
        public let index: Int

        /// Whether the name is `lowercase` (given in lower case), ignoring ASCII case.
        public func nameEquals(_ lowercase: StaticString) -> Bool {
            HTTPSyntax.equalsIgnoringCase(name, lowercase)
        }

        /// Whether the name starts with `lowercase` (given in lower case), ignoring ASCII case.
        public func nameHasPrefix(_ lowercase: StaticString) -> Bool {
            HTTPSyntax.hasPrefixIgnoringCase(name, lowercase)
        }

        /// The name as a string.
        public var nameString: String { String(decoding: name, as: UTF8.self) }
        /// The value as a string (the decoder refused values that are not UTF-8).
        public var valueString: String { String(decoding: value, as: UTF8.self) }
    }

    /// Calls `body` with each field that is not removed, in the order received.
    public func forEachField(_ body: (Field) throws -> Void) rethrows {
        for index in 0..<receivedFieldCount {
            try withField(at: index) { field in
                if let field { try body(field) }
            }
        }
    }

    /// Calls `body` with the value of the field at `index` (as ``Field/index`` gave it), or with nil when it is
    /// removed.
    public func withValue<Result>(ofFieldAt index: Int, _ body: (UnsafeRawBufferPointer?) throws -> Result) rethrows -> Result {
        precondition(index >= 0 && index < receivedFieldCount, "field index out of range")
        return try withField(at: index) { try body($0?.value) }
    }

    /// Calls `body` with the field at `index`, or with nil when it is removed.
    private func withField<Result>(at index: Int, _ body: (Field?) throws -> Result) rethrows -> Result {
        try storage.withUnsafeReadableBytes { all in
            let offset = headLength + 16 * index
            let nameStart = all.loadUnaligned(fromByteOffset: offset, as: UInt32.self).bigEndian
            guard nameStart & Self.removedBit == 0 else { return try body(nil) }
            let nameEnd = all.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self).bigEndian
            let valueStart = all.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self).bigEndian
            let valueEnd = all.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self).bigEndian
            return try body(Field(name: UnsafeRawBufferPointer(rebasing: all[Int(nameStart)..<Int(nameEnd)]),
                                  value: UnsafeRawBufferPointer(rebasing: all[Int(valueStart)..<Int(valueEnd)]),
                                  index: index))
        }
    }

    /// The value of the first field named `lowercase` (given in lower case), as a string.
    public func firstValue(named lowercase: StaticString) -> String? {
        var found: String?
        forEachField { field in
            if found == nil, field.name.count == lowercase.utf8CodeUnitCount, field.nameEquals(lowercase) {
                found = field.valueString
            }
        }
        return found
    }

    /// Whether a field named `lowercase` (given in lower case) is present.
    public func contains(named lowercase: StaticString) -> Bool {
        var found = false
        forEachField { field in
            if !found, field.name.count == lowercase.utf8CodeUnitCount, field.nameEquals(lowercase) { found = true }
        }
        return found
    }

    /// Removes the field at `index` (as ``Field/index`` gave it): it is no longer seen or forwarded.
    public mutating func removeField(at index: Int) {
        precondition(index >= 0 && index < receivedFieldCount, "field index out of range")
        let offset = headLength + 16 * index
        let nameStart = storage.getInteger(at: storage.readerIndex + offset, as: UInt32.self) ?? 0
        storage.setInteger(nameStart | Self.removedBit, at: storage.readerIndex + offset)
    }

    /// Removes every field for which `shouldRemove` is true.
    public mutating func removeFields(where shouldRemove: (Field) -> Bool) {
        for index in 0..<receivedFieldCount where withField(at: index, { $0.map(shouldRemove) ?? false }) {
            removeField(at: index)
        }
    }

    // MARK: NIO's types

    /// The fields not removed, as NIO's headers (a `String` per name and value: not for the hot path).
    public var headers: HTTPHeaders {
        var headers = HTTPHeaders()
        forEachField { headers.add(name: $0.nameString, value: $0.valueString) }
        return headers
    }

    /// This head as NIO's type (see ``headers``).
    public var httpRequestHead: HTTPRequestHead {
        HTTPRequestHead(version: version, method: method, uri: uri, headers: headers)
    }
}

/// How a request's body is framed, as the decoder read it from the client and as a forwarder frames it upstream.
///
/// The client's framing headers never travel: the proxy removes `Content-Length` and `Transfer-Encoding` from the
/// head and writes its own, from this value, so that nothing a client sends can unframe a body on the upstream
/// connection.
public enum RequestBodyFraming: Sendable, Hashable {
    /// No body: neither `Content-Length` nor `Transfer-Encoding`.
    case none
    /// Exactly this many bytes (`Content-Length`).
    case length(Int)
    /// Chunked transfer coding: the length is known only at the end.
    case chunked
}

/// One piece of a client's request, as ``ClientRequestDecoder`` delivers it.
public enum ClientRequestPart: Sendable {
    /// The head.
    case head(RequestHead)
    /// Body bytes (slices of what was read; never framing bytes).
    case body(ByteBuffer)
    /// The end of the request, with the trailer fields of a chunked body if there were any.
    case end(HTTPHeaders?)
}
