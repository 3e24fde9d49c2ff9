/// The credential of an `Authorization` header value, read the one way both proxies read it (RFC 9110 §11.4,
/// RFC 6750 §2.1): optional blanks (SP, HTAB), a case-insensitive scheme, at least one blank, the credential,
/// optional blanks. Works on UTF-8 bytes: it runs for every request and tokens are large.
public enum AuthorizationCredential: Sendable, Hashable {
    /// `Bearer TOKEN`: the token, which is never empty and holds no blank and no comma.
    case bearer(String)
    /// `Basic ENCODED`: the encoded credential as sent (not yet decoded), never empty.
    case basic(String)
    /// Another scheme (lowercased), with a credential.
    case unsupported(scheme: String)
    /// No scheme and credential to tell apart, or a bearer token that is empty or holds a blank or a comma;
    /// `scheme` (lowercased) when one was read.
    case malformed(scheme: String?)

    /// Reads `headerValue`.
    public init(headerValue: String) {
        var value = headerValue
        self = value.withUTF8 { AuthorizationCredential(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Reads a header value from its bytes.
    public init(bytes: UnsafeRawBufferPointer) {
        self = bytes.withMemoryRebound(to: UInt8.self) { bytes -> AuthorizationCredential in
            func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
            var start = 0
            var end = bytes.count
            while start < end, isBlank(bytes[start]) { start += 1 }
            while start < end, isBlank(bytes[end - 1]) { end -= 1 }
            var cursor = start
            while cursor < end, !isBlank(bytes[cursor]) { cursor += 1 }
            let schemeBytes = UnsafeBufferPointer(rebasing: bytes[start..<cursor])
            /// The scheme, lowercased (made only when it is reported: the common schemes are compared in place).
            func scheme() -> String {
                String(decoding: schemeBytes.lazy.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
            }
            while cursor < end, isBlank(bytes[cursor]) { cursor += 1 }
            guard !schemeBytes.isEmpty, cursor < end else { return .malformed(scheme: schemeBytes.isEmpty ? nil : scheme()) }
            let credential = UnsafeBufferPointer(rebasing: bytes[cursor..<end])
            if Self.equalsIgnoringCase(schemeBytes, "bearer") {
                guard !credential.contains(where: { isBlank($0) || $0 == UInt8(ascii: ",") }) else { return .malformed(scheme: "bearer") }
                return .bearer(String(decoding: credential, as: UTF8.self))
            }
            if Self.equalsIgnoringCase(schemeBytes, "basic") {
                return .basic(String(decoding: credential, as: UTF8.self))
            }
            return .unsupported(scheme: scheme())
        }
    }

    /// Whether `bytes` spell `lowercase` (letters only) in any case.
    private static func equalsIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        // For a lowercase letter t, b | 0x20 == t only when b is t or its uppercase form.
        return zip(bytes, expected).allSatisfy { $0 | 0x20 == $1 }
    }

    /// The bearer token, if this is one.
    public var bearerToken: String? {
        if case .bearer(let token) = self { return token }
        return nil
    }
}
