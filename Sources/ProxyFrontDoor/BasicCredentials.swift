import Foundation

/// The user name and password of an `Authorization: Basic` field (RFC 7617), for the password grant.
///
/// - Important: Never logged; ``description`` names the user only.
public struct BasicCredentials: Sendable, CustomStringConvertible {
    /// The user name (before the first `:`).
    public var username: String
    /// The password (after it).
    public var password: String

    /// Reads the base64 part after `Basic `: at most 4 KiB, UTF-8, a `:`, and neither part empty; else `nil`.
    public init?(encoded: some StringProtocol) {
        guard encoded.utf8.count <= 4_096, let data = Data(base64Encoded: String(encoded)),
              let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") else { return nil }
        let username = String(text[..<colon])
        let password = String(text[text.index(after: colon)...])
        guard !username.isEmpty, !password.isEmpty else { return nil }
        self.username = username
        self.password = password
    }

    /// `BasicCredentials(user)`.
    public var description: String { "BasicCredentials(\(username))" }
}
