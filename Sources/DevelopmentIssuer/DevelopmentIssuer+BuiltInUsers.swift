import Crypto
import Foundation

extension DevelopmentIssuer.User {
    /// The realm role every sandbox user has (the Verrazzano API proxy requires it).
    public static let apiAccessRole = "vz_api_access"

    /// The built-in users' names and groups: `alice` (`verrazzano-admins`), `bob`
    /// (`verrazzano-project-hello-monitors`), `carol` (no group).
    public static let builtInGroups: [(username: String, groups: [String])] = [
        ("alice", ["verrazzano-admins"]),
        ("bob", ["verrazzano-project-hello-monitors"]),
        ("carol", []),
    ]

    /// The built-in users, each with the realm role `vz_api_access`, a stable subject (``derivedSubject(for:)``),
    /// an `@example.com` email, and the password given in `passwords` or else a fresh random one
    /// (``randomPassword()``): the caller prints and stores the passwords, and passes them back on the next start.
    public static func builtInUsers(passwords: [String: String] = [:]) -> [DevelopmentIssuer.User] {
        self.builtInGroups.map { entry in
            DevelopmentIssuer.User(
                username: entry.username,
                subject: self.derivedSubject(for: entry.username),
                groups: entry.groups,
                roles: [self.apiAccessRole],
                password: passwords[entry.username] ?? self.randomPassword(),
                email: entry.username + "@example.com"
            )
        }
    }

    /// A UUID-shaped subject derived from `username` (SHA-256 of a fixed prefix and the name, with version 5 and
    /// variant bits), so a user keeps the same `sub` across restarts without storing it.
    public static func derivedSubject(for username: String) -> String {
        var bytes = Array(SHA256.hash(data: Array("vzauth-development-issuer/user/\(username)".utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return parts.joined(separator: "-")
    }

    /// A random password: 20 characters of lower- and upper-case letters and digits (no look-alikes), about 113
    /// bits, easy to copy from a terminal.
    public static func randomPassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
