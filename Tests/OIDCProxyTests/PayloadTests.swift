import Foundation
import Testing
@testable import OIDCProxy

@Suite("Session and login-state payloads")
struct PayloadTests {
    @Test("session round trip, with and without the optional fields")
    func sessionRoundTrip() throws {
        let full = TestFixtures.session()
        #expect(SessionPayload(encoded: try full.encoded()) == full)

        let minimal = SessionPayload(username: "bob", subject: "", groups: [], roles: [], idToken: nil, refreshToken: nil,
                                     accessTokenIssuedAt: TestFixtures.now, accessTokenExpiresAt: TestFixtures.now,
                                     createdAt: Date(timeIntervalSince1970: -5))
        #expect(SessionPayload(encoded: try minimal.encoded()) == minimal)

        let unicode = TestFixtures.session(groups: ["grüne", "日本", "a,b;c=d\"e", ""])
        #expect(SessionPayload(encoded: try unicode.encoded()) == unicode)
    }

    @Test("instants are stored in whole seconds")
    func wholeSeconds() throws {
        var session = TestFixtures.session()
        session.createdAt = Date(timeIntervalSince1970: 1_700_000_000.75)
        #expect(SessionPayload(encoded: try session.encoded())?.createdAt == Date(timeIntervalSince1970: 1_700_000_000))
    }

    @Test("every truncation, extension and version change fails to decode")
    func sessionHostileBytes() throws {
        let bytes = try TestFixtures.session().encoded()
        for length in 0..<bytes.count {
            #expect(SessionPayload(encoded: Array(bytes.prefix(length))) == nil, "length \(length)")
        }
        #expect(SessionPayload(encoded: bytes + [0]) == nil)
        var version = bytes
        version[0] = 2
        #expect(SessionPayload(encoded: version) == nil)
        var flags = bytes
        flags[1] |= 0x80
        #expect(SessionPayload(encoded: flags) == nil)
    }

    @Test("invalid UTF-8 in a string fails to decode")
    func invalidUTF8() throws {
        let session = SessionPayload(username: "ab", subject: "s", idToken: nil, refreshToken: nil,
                                     accessTokenIssuedAt: TestFixtures.now, accessTokenExpiresAt: TestFixtures.now,
                                     createdAt: TestFixtures.now)
        var bytes = try session.encoded()
        // version, flags, length (2 bytes), then "ab".
        bytes[4] = 0xC3
        bytes[5] = 0x28
        #expect(SessionPayload(encoded: bytes) == nil)
    }

    @Test("random bytes never crash the decoders", arguments: [UInt64(11), 12])
    func randomBytes(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let valid = try TestFixtures.session().encoded()
        for _ in 0..<2_000 {
            var bytes = (0..<Int.random(in: 0..<120, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            if Bool.random(using: &random), !bytes.isEmpty {
                bytes[0] = 1
            }
            _ = SessionPayload(encoded: bytes)
            _ = LoginState(encoded: bytes)
            // Mutations of a valid encoding: one byte changed.
            var mutated = valid
            mutated[Int.random(in: 0..<mutated.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            _ = SessionPayload(encoded: mutated)
        }
        // A list count far larger than the input must not allocate accordingly.
        #expect(SessionPayload(encoded: [1, 0, 0, 0, 0, 0, 0xFF, 0xFF]) == nil)
    }

    @Test("a field longer than 65,535 bytes cannot be encoded")
    func oversizedField() {
        let session = TestFixtures.session(idToken: String(repeating: "x", count: 65_536))
        #expect(throws: CookieError.valueTooLarge) { try session.encoded() }
    }

    @Test("descriptions never show tokens or login secrets")
    func descriptions() {
        let session = TestFixtures.session()
        #expect(!session.description.contains("refresh.token.value"))
        #expect(!session.description.contains("header.payload.signature"))
        let state = LoginState(state: "the-state", nonce: "the-nonce", codeVerifier: "the-verifier", originalURL: "/a",
                               createdAt: TestFixtures.now)
        #expect(!state.description.contains("the-"))
    }

    @Test("login state round trip and hostile bytes")
    func loginState() throws {
        let state = LoginState(state: "s1", nonce: "n1", codeVerifier: String(repeating: "v", count: 64),
                               originalURL: "/app/dashboards?orgId=1&x=%20", createdAt: TestFixtures.now)
        let bytes = try state.encoded()
        #expect(LoginState(encoded: bytes) == state)
        for length in 0..<bytes.count {
            #expect(LoginState(encoded: Array(bytes.prefix(length))) == nil)
        }
        #expect(LoginState(encoded: bytes + [0]) == nil)
    }
}

@Suite("The vz_userinfo cookie")
struct UserInfoCookieTests {
    @Test("the value is padded base64 of username=...,exp=... (what the Verrazzano console parses)")
    func format() throws {
        let info = UserInfoCookie(username: "alice", expiresAt: Date(timeIntervalSince1970: 1_700_000_000.9))
        let data = try #require(Data(base64Encoded: info.cookieValue))
        #expect(String(decoding: data, as: UTF8.self) == "username=alice,exp=1700000000")
        #expect(UserInfoCookie(cookieValue: info.cookieValue) == UserInfoCookie(username: "alice", expiresAt: Date(timeIntervalSince1970: 1_700_000_000)))
    }

    @Test("separators and controls in the name are percent-encoded")
    func escaping() throws {
        let info = UserInfoCookie(username: "a,b=c%d\nö", expiresAt: TestFixtures.now)
        let data = try #require(Data(base64Encoded: info.cookieValue))
        #expect(String(decoding: data, as: UTF8.self) == "username=a%2Cb%3Dc%25d%0Aö,exp=1700000000")
        #expect(UserInfoCookie(cookieValue: info.cookieValue)?.username == "a,b=c%d\nö")
    }

    @Test("Set-Cookie: readable by JavaScript, expiring with the session")
    func setCookie() throws {
        let info = UserInfoCookie(username: "alice", expiresAt: TestFixtures.now.addingTimeInterval(1_800))
        let cookie = try info.setCookie(now: TestFixtures.now)
        #expect(cookie.name == "vz_userinfo")
        #expect(!cookie.httpOnly)
        #expect(cookie.maxAge == 1_800)
        #expect(cookie.headerValue.hasPrefix("vz_userinfo=\(info.cookieValue); Path=/; Max-Age=1800; Expires="))
        let deletion = try UserInfoCookie.deletionCookie()
        #expect(deletion.isDeletion && !deletion.httpOnly)
    }

    @Test("garbage values do not decode", arguments: ["", "!!", "dXNlcm5hbWU9YQ==", "ZXhwPTE=", "dXNlcm5hbWU9JVpaLGV4cD0x",
                                                      "dXNlcm5hbWU9YSxleHA9eA==", String(repeating: "QUFB", count: 2_000)])
    func garbage(_ value: String) {
        #expect(UserInfoCookie(cookieValue: value) == nil)
    }
}
