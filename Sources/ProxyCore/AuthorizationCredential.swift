import ServiceSupport

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
        let parts = Self.parts(of: bytes)
        /// The scheme, lowercased (made only when it is reported: the common schemes are compared in place).
        func scheme() -> String? {
            parts.scheme.isEmpty ? nil : String(decoding: parts.scheme.lazy.map(HTTPSyntax.lowered), as: UTF8.self)
        }
        guard let credential = parts.credential else {
            self = .malformed(scheme: scheme())
            return
        }
        if HTTPSyntax.equalsIgnoringCase(parts.scheme, "bearer") {
            self = Self.isBearerToken(credential) ? .bearer(String(decoding: credential, as: UTF8.self)) : .malformed(scheme: "bearer")
        } else if HTTPSyntax.equalsIgnoringCase(parts.scheme, "basic") {
            self = .basic(String(decoding: credential, as: UTF8.self))
        } else {
            self = .unsupported(scheme: scheme() ?? "")
        }
    }

    /// The token of a `Bearer` credential in `value` (a header value's bytes), as a slice of `value`; nil when
    /// `value` is not a well-formed bearer credential. Makes no string: the API proxy's hot path.
    public static func bearerToken(in value: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        let parts = Self.parts(of: value)
        guard let credential = parts.credential, HTTPSyntax.equalsIgnoringCase(parts.scheme, "bearer"),
              isBearerToken(credential) else { return nil }
        return credential
    }

    /// The scheme and, when one follows it, the credential (both without surrounding blanks).
    private static func parts(of bytes: UnsafeRawBufferPointer) -> (scheme: UnsafeRawBufferPointer, credential: UnsafeRawBufferPointer?) {
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        var start = 0
        var end = bytes.count
        while start < end, isBlank(bytes[start]) { start += 1 }
        while start < end, isBlank(bytes[end - 1]) { end -= 1 }
        var cursor = start
        while cursor < end, !isBlank(bytes[cursor]) { cursor += 1 }
        let scheme = UnsafeRawBufferPointer(rebasing: bytes[start..<cursor])
        while cursor < end, isBlank(bytes[cursor]) { cursor += 1 }
        guard !scheme.isEmpty, cursor < end else { return (scheme, nil) }
        return (scheme, UnsafeRawBufferPointer(rebasing: bytes[cursor..<end]))
    }

    /// A bearer token is never empty and holds no blank and no comma.
    private static func isBearerToken(_ credential: UnsafeRawBufferPointer) -> Bool {
        !credential.isEmpty && !credential.contains { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: ",") }
    }

    /// The bearer token, if this is one.
    public var bearerToken: String? {
        if case .bearer(let token) = self { return token }
        return nil
    }
}
