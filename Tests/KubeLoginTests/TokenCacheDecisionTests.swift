import Foundation
import KubeLogin
import Testing

@Suite("use cached, refresh, or log in")
struct TokenCacheDecisionTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func entry(access: TimeInterval?, id: TimeInterval? = nil, refresh: String? = "r", refreshExpiry: TimeInterval? = 1800) -> CachedTokens {
        CachedTokens(
            accessToken: "a", accessTokenExpiresAt: access.map { now.addingTimeInterval($0) },
            idToken: id == nil ? nil : "i", idTokenExpiresAt: id.map { now.addingTimeInterval($0) },
            refreshToken: refresh, refreshTokenExpiresAt: refreshExpiry.map { now.addingTimeInterval($0) })
    }

    @Test("no entry: log in")
    func noEntry() {
        #expect(TokenCacheDecision.decide(entry: nil, tokenType: .access, now: Self.now) == .logIn)
    }

    @Test("a token good for longer than the skew is used as it is")
    func cached() {
        #expect(TokenCacheDecision.decide(entry: Self.entry(access: 31), tokenType: .access, now: Self.now, skew: 30)
            == .useCached(token: "a", expiresAt: Self.now.addingTimeInterval(31)))
        #expect(TokenCacheDecision.decide(entry: Self.entry(access: 10, id: 100), tokenType: .id, now: Self.now)
            == .useCached(token: "i", expiresAt: Self.now.addingTimeInterval(100)))
    }

    @Test("a token within the skew of its expiry, expired, or of unknown expiry is refreshed")
    func refresh() {
        for access: TimeInterval? in [30, 5, -100, nil] {
            #expect(TokenCacheDecision.decide(entry: Self.entry(access: access), tokenType: .access, now: Self.now, skew: 30)
                == .refresh(refreshToken: "r"), "\(String(describing: access))")
        }
        // The ID token is wanted but there is none.
        #expect(TokenCacheDecision.decide(entry: Self.entry(access: 300), tokenType: .id, now: Self.now) == .refresh(refreshToken: "r"))
        // A refresh token of unknown expiry is tried.
        #expect(TokenCacheDecision.decide(entry: Self.entry(access: -1, refreshExpiry: nil), tokenType: .access, now: Self.now)
            == .refresh(refreshToken: "r"))
    }

    @Test("without a good refresh token: log in")
    func logIn() {
        #expect(TokenCacheDecision.decide(entry: Self.entry(access: -1, refresh: nil), tokenType: .access, now: Self.now) == .logIn)
        #expect(TokenCacheDecision.decide(entry: Self.entry(access: -1, refresh: ""), tokenType: .access, now: Self.now) == .logIn)
        #expect(TokenCacheDecision.decide(entry: Self.entry(access: -1, refreshExpiry: 10), tokenType: .access, now: Self.now, skew: 30) == .logIn)
        #expect(TokenCacheDecision.decide(entry: Self.entry(access: -1, refreshExpiry: -5), tokenType: .access, now: Self.now) == .logIn)
    }
}
