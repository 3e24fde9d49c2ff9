import Foundation
@testable import OIDCProxy

/// Shared secrets, instants and helpers for the OIDC proxy tests.
enum TestFixtures {
    static let firstSecret = [UInt8]("first-secret-with-at-least-32-bytes!".utf8)
    static let secondSecret = [UInt8]("second-secret-with-at-least-32-bytes".utf8)
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    static func sealer(_ secrets: [UInt8]...) -> CookieSealer {
        do {
            return try CookieSealer(secrets: secrets.isEmpty ? [firstSecret] : secrets)
        } catch {
            preconditionFailure("test secrets are valid: \(error)")
        }
    }

    static func session(idToken: String? = "header.payload.signature", groups: [String] = ["admins", "viewers"])
        -> SessionPayload
    {
        SessionPayload(
            username: "alice", subject: "2f6b8c1e-6d1b-4c39-9a0f-6a1f0e7b8c9d", groups: groups,
            roles: ["vz_api_access", "offline_access"], idToken: idToken, refreshToken: "refresh.token.value",
            accessTokenIssuedAt: now, accessTokenExpiresAt: now.addingTimeInterval(300),
            refreshTokenExpiresAt: now.addingTimeInterval(1_800), createdAt: now.addingTimeInterval(-60),
            sessionID: "7c0f0d0e-sid")
    }

    /// What a browser would send back after applying `setCookies`: every non-deletion cookie in one header line.
    static func browserCookies(after setCookies: [SetCookie], keeping others: [String] = []) -> RequestCookies {
        let pairs = others + setCookies.filter { !$0.isDeletion }.map { "\($0.name)=\($0.value)" }
        return RequestCookies(headerValues: [pairs.joined(separator: "; ")])
    }
}

/// A small deterministic generator (SplitMix64) for reproducible fuzz-style tests.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var value = self.state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
