import Crypto

/// Which cache entry a login uses: one per issuer, client, user and set of scopes.
///
/// The file name is the SHA-256 of the four, in hex, so names say nothing about the user and are safe for any
/// characters in them.
public struct TokenCacheKey: Sendable, Hashable {
    /// The issuer URL.
    public var issuer: String
    /// The client id.
    public var clientID: String
    /// The user name given on the command line; `""` when the user is chosen at the provider (browser, device).
    public var username: String
    /// The requested scopes (order does not matter).
    public var scopes: [String]

    /// Creates a key.
    public init(issuer: String, clientID: String, username: String?, scopes: [String]) {
        self.issuer = issuer
        self.clientID = clientID
        self.username = username ?? ""
        self.scopes = scopes
    }

    /// `<sha256 hex>.json`.
    public var fileName: String {
        let material = [self.issuer, self.clientID, self.username, Set(self.scopes).sorted().joined(separator: " ")]
            .joined(separator: "\n")
        let digest = SHA256.hash(data: Array(material.utf8))
        return digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined() + ".json"
    }
}
