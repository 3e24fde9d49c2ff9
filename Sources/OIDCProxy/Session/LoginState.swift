public import Foundation

/// What the pending-login cookie (`vz_state`) holds between the redirect to the identity provider and the
/// callback.
///
/// ## Encoding
/// Versioned binary (version 1): a version byte, then `state`, `nonce`, `codeVerifier`, `originalURL` (each with
/// a big-endian `UInt16` length) and `createdAt` (big-endian `Int64` seconds since 1970). Decoding rejects an
/// unknown version, truncation, invalid UTF-8 and trailing bytes.
///
/// - Important: ``originalURL`` is stored as given; the login flow must check that it is a local path (starts
///   with `/`, not `//`) before redirecting to it. ``description`` never shows the state, nonce or verifier.
public struct LoginState: Sendable, Hashable, CustomStringConvertible {
    /// The `state` parameter sent to the authorization endpoint; the callback must echo it.
    public var state: String
    /// The `nonce` parameter; the ID token must carry it.
    public var nonce: String
    /// The PKCE `code_verifier` for the token request.
    public var codeVerifier: String
    /// Where to send the user after login: path and query of the original request.
    public var originalURL: String
    /// When the login started (whole seconds).
    public var createdAt: Date

    /// Creates a login state.
    public init(state: String, nonce: String, codeVerifier: String, originalURL: String, createdAt: Date) {
        self.state = state
        self.nonce = nonce
        self.codeVerifier = codeVerifier
        self.originalURL = originalURL
        self.createdAt = createdAt
    }

    /// The original URL's length and the creation time; never the secrets.
    public var description: String {
        "LoginState(originalURL: \(self.originalURL.utf8.count) bytes, createdAt: \(self.createdAt))"
    }

    private static let encodingVersion: UInt8 = 1

    /// The binary encoding (see the type's discussion).
    ///
    /// - Throws: ``CookieError/valueTooLarge`` when a field exceeds 65,535 bytes.
    public func encoded() throws(CookieError) -> [UInt8] {
        var writer = PayloadWriter(
            version: Self.encodingVersion,
            capacity: 17 + self.state.utf8.count + self.nonce.utf8.count + self.codeVerifier.utf8.count
                + self.originalURL.utf8.count)
        try writer.write(self.state)
        try writer.write(self.nonce)
        try writer.write(self.codeVerifier)
        try writer.write(self.originalURL)
        writer.write(self.createdAt)
        return writer.bytes
    }

    /// Decodes ``encoded()`` output; `nil` for anything else. Never traps, whatever the bytes.
    public init?(encoded bytes: [UInt8]) {
        guard var reader = PayloadReader(bytes, version: Self.encodingVersion),
              let state = reader.readString(),
              let nonce = reader.readString(),
              let codeVerifier = reader.readString(),
              let originalURL = reader.readString(),
              let createdAt = reader.readDate(),
              reader.isAtEnd
        else {
            return nil
        }
        self.init(state: state, nonce: nonce, codeVerifier: codeVerifier, originalURL: originalURL,
                  createdAt: createdAt)
    }
}
