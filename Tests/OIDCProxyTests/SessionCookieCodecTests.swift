import Foundation
import Testing
@testable import OIDCProxy

@Suite("Session cookie codec")
struct SessionCookieCodecTests {
    let codec: SessionCookieCodec
    let expiresAt = TestFixtures.now.addingTimeInterval(1_800)
    let noCookies = RequestCookies(headerValues: [String]())

    init() throws {
        self.codec = try SessionCookieCodec(sealer: TestFixtures.sealer())
    }

    @Test("round trip through the browser; HttpOnly, Max-Age from now")
    func roundTrip() throws {
        let session = TestFixtures.session()
        let write = try codec.setCookies(for: session, expiresAt: expiresAt, now: TestFixtures.now, replacing: noCookies)
        #expect(!write.idTokenOmitted)
        #expect(write.setCookies.count == 1)
        let cookie = try #require(write.setCookies.first)
        #expect(cookie.name == "vz_authn" && cookie.httpOnly && cookie.secure && cookie.maxAge == 1_800)
        let request = TestFixtures.browserCookies(after: write.setCookies, keeping: ["grafana_session=x"])
        #expect(codec.session(in: request, now: TestFixtures.now) == .valid(session))
        #expect(codec.session(in: request, now: expiresAt) == .rejected(.expired))
        #expect(codec.session(in: RequestCookies(headerValues: ["grafana_session=x"]), now: TestFixtures.now) == .absent)
    }

    @Test("a large session is chunked and reassembled")
    func chunked() throws {
        let session = TestFixtures.session(groups: (0..<300).map { "group-with-a-fairly-long-name-\($0)" })
        let write = try codec.setCookies(for: session, expiresAt: expiresAt, now: TestFixtures.now, replacing: noCookies)
        #expect(write.setCookies.count > 2)
        #expect(write.setCookies.allSatisfy { $0.headerValue.utf8.count <= ChunkedCookie.maximumSetCookieLength })
        #expect(codec.session(in: TestFixtures.browserCookies(after: write.setCookies), now: TestFixtures.now) == .valid(session))
    }

    @Test("swapped chunks are detected as tampering")
    func swappedChunks() throws {
        let session = TestFixtures.session(groups: (0..<300).map { "group-with-a-fairly-long-name-\($0)" })
        let cookies = try codec.setCookies(for: session, expiresAt: expiresAt, now: TestFixtures.now, replacing: noCookies).setCookies
        try #require(cookies.count >= 3)
        let header = "vz_authn=\(cookies[0].value); vz_authn_1=\(cookies[2].value); vz_authn_2=\(cookies[1].value)"
            + cookies.dropFirst(3).map { "; \($0.name)=\($0.value)" }.joined()
        #expect(codec.session(in: RequestCookies(headerValues: [header]), now: TestFixtures.now) == .rejected(.tampered))
    }

    @Test("the ID token is dropped when the session would not fit otherwise")
    func idTokenDropped() throws {
        // About 24 KB of ID token: too much with it, fine without.
        let session = TestFixtures.session(idToken: String(repeating: "t", count: 24_000))
        let write = try codec.setCookies(for: session, expiresAt: expiresAt, now: TestFixtures.now, replacing: noCookies)
        #expect(write.idTokenOmitted)
        var expected = session
        expected.idToken = nil
        #expect(codec.session(in: TestFixtures.browserCookies(after: write.setCookies), now: TestFixtures.now) == .valid(expected))

        let hopeless = TestFixtures.session(idToken: nil, groups: (0..<2_000).map { "group-\($0)-with-a-long-name" })
        #expect(throws: CookieError.valueTooLarge) {
            try codec.setCookies(for: hopeless, expiresAt: expiresAt, now: TestFixtures.now, replacing: noCookies)
        }
    }

    @Test("a vz_state value is never accepted as a session")
    func wrongPurpose() throws {
        let stateCodec = try LoginStateCookieCodec(sealer: TestFixtures.sealer())
        let state = LoginState(state: "s", nonce: "n", codeVerifier: "v", originalURL: "/", createdAt: TestFixtures.now)
        let stateCookie = try stateCodec.setCookie(for: state)
        let request = RequestCookies(headerValues: ["vz_authn=\(stateCookie.value)"])
        #expect(codec.session(in: request, now: TestFixtures.now) == .rejected(.wrongPurpose))
    }

    @Test("rotation: a session sealed with the old key opens; rewriting seals with the new one")
    func rotation() throws {
        let old = try SessionCookieCodec(sealer: TestFixtures.sealer(TestFixtures.firstSecret))
        let rotated = try SessionCookieCodec(sealer: TestFixtures.sealer(TestFixtures.secondSecret, TestFixtures.firstSecret))
        let session = TestFixtures.session()
        let oldCookies = try old.setCookies(for: session, expiresAt: expiresAt, now: TestFixtures.now, replacing: noCookies).setCookies
        let request = TestFixtures.browserCookies(after: oldCookies)
        #expect(rotated.session(in: request, now: TestFixtures.now) == .valid(session))
        let newCookies = try rotated.setCookies(for: session, expiresAt: expiresAt, now: TestFixtures.now, replacing: request).setCookies
        #expect(old.session(in: TestFixtures.browserCookies(after: newCookies), now: TestFixtures.now) == .rejected(.unknownKey))
    }

    @Test("a garbage session cookie is rejected, not an error", arguments: ["", "abc", "2.abc; vz_authn_1=def", "\"quoted\""])
    func garbage(_ value: String) {
        let request = RequestCookies(headerValues: ["vz_authn=\(value)"])
        guard case .rejected = codec.session(in: request, now: TestFixtures.now) else {
            Issue.record("expected a rejection")
            return
        }
    }

    @Test("logout deletes every chunk present")
    func logout() {
        let request = RequestCookies(headerValues: ["vz_authn=2.a; vz_authn_1=b; vz_authn_5=stale"])
        #expect(codec.deletionCookies(for: request).map(\.name) == ["vz_authn", "vz_authn_1", "vz_authn_5"])
    }
}

@Suite("Login state cookie codec")
struct LoginStateCookieCodecTests {
    let codec: LoginStateCookieCodec
    let state = LoginState(state: "xyz", nonce: "n-0S6_WzA2Mj", codeVerifier: String(repeating: "v", count: 64),
                           originalURL: "/app/kibana#/discover?x=1", createdAt: TestFixtures.now)

    init() throws {
        self.codec = try LoginStateCookieCodec(sealer: TestFixtures.sealer())
    }

    @Test("round trip; five minutes; HttpOnly")
    func roundTrip() throws {
        let cookie = try codec.setCookie(for: state)
        #expect(cookie.name == "vz_state" && cookie.httpOnly && cookie.maxAge == 300)
        let request = RequestCookies(headerValues: ["a=1; vz_state=\(cookie.value)"])
        #expect(codec.loginState(in: request, now: TestFixtures.now.addingTimeInterval(299)) == .valid(state))
        #expect(codec.loginState(in: request, now: TestFixtures.now.addingTimeInterval(300)) == .rejected(.expired))
        #expect(codec.loginState(in: RequestCookies(headerValues: ["a=1"]), now: TestFixtures.now) == .absent)
        #expect(codec.deletionCookie().isDeletion)
    }

    @Test("a session value is never accepted as a login state")
    func wrongPurpose() throws {
        let sessionCodec = try SessionCookieCodec(sealer: TestFixtures.sealer())
        let cookies = try sessionCodec.setCookies(for: TestFixtures.session(), expiresAt: TestFixtures.now.addingTimeInterval(60),
                                                  now: TestFixtures.now, replacing: RequestCookies(headerValues: [String]()))
        let request = RequestCookies(headerValues: ["vz_state=\(cookies.setCookies[0].value)"])
        #expect(codec.loginState(in: request, now: TestFixtures.now) == .rejected(.wrongPurpose))
    }

    @Test("a state that would exceed 4,000 bytes is refused")
    func tooLarge() {
        var large = state
        large.originalURL = "/" + String(repeating: "q", count: 3_000)
        #expect(throws: CookieError.valueTooLarge) { try codec.setCookie(for: large) }
    }

    @Test("configuration is checked")
    func configuration() {
        #expect(throws: CookieError.invalidConfiguration) { try LoginStateCookieCodec(sealer: TestFixtures.sealer(), lifetime: 0) }
        #expect(throws: CookieError.invalidName) { try LoginStateCookieCodec(sealer: TestFixtures.sealer(), cookieName: "a b") }
    }
}
