import Foundation
import Testing
@testable import OIDCProxy

@Suite("Set-Cookie building")
struct SetCookieTests {
    @Test("defaults: Path=/, HttpOnly, Secure, SameSite=Lax")
    func defaults() throws {
        let cookie = try SetCookie(name: "vz_authn", value: "abc-_123")
        #expect(cookie.headerValue == "vz_authn=abc-_123; Path=/; HttpOnly; Secure; SameSite=Lax")
    }

    @Test("every attribute, in a fixed order")
    func allAttributes() throws {
        let cookie = try SetCookie(name: "n", value: "v", path: "/app", domain: "example.com", maxAge: 300,
                                   expires: Date(timeIntervalSince1970: 784_111_777.9), httpOnly: false,
                                   secure: true, sameSite: .strict)
        #expect(cookie.headerValue
            == "n=v; Path=/app; Domain=example.com; Max-Age=300; Expires=Sun, 06 Nov 1994 08:49:37 GMT; Secure; SameSite=Strict")
        let plain = try SetCookie(name: "n", value: "", httpOnly: false, secure: false, sameSite: nil)
        #expect(plain.headerValue == "n=; Path=/")
    }

    @Test("a negative Max-Age is sent as 0")
    func negativeMaxAge() throws {
        #expect(try SetCookie(name: "n", value: "v", maxAge: -5).maxAge == 0)
    }

    @Test("deletion: empty value, Max-Age=0, Expires in 1970, same scope")
    func deletion() throws {
        let attributes = try CookieAttributes(path: "/", domain: "vz.example.com")
        let cookie = try SetCookie.deletion(name: "vz_authn_2", attributes: attributes)
        #expect(cookie.isDeletion)
        #expect(cookie.headerValue
            == "vz_authn_2=; Path=/; Domain=vz.example.com; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax")
        #expect(throws: CookieError.invalidName) { try SetCookie.deletion(name: "a b", attributes: attributes) }
    }

    @Test("names that are not tokens are refused",
          arguments: ["", "a;b", "a b", "a=b", "a\r\nSet-Cookie: x", "a\nb", "a\"", "a,b", "é", "a\u{0}", "a(b)", "a/b"])
    func invalidNames(_ name: String) {
        #expect(throws: CookieError.invalidName) { try SetCookie(name: name, value: "v") }
    }

    @Test("values outside cookie-octet are refused",
          arguments: ["a;b", "a; HttpOnly", " a", "a b", "a\r\n", "a\nSet-Cookie: x=y", "\"a\"", "a,b", "a\\b", "é", "a\u{7F}", "\t"])
    func invalidValues(_ value: String) {
        #expect(throws: CookieError.invalidValue) { try SetCookie(name: "n", value: value) }
    }

    @Test("paths must start with / and hold no ; or control character",
          arguments: ["", "app", "/a; Domain=evil.com", "/a\r\nX: y", "/\u{7F}", "/é"])
    func invalidPaths(_ path: String) {
        #expect(throws: CookieError.invalidPath) { try SetCookie(name: "n", value: "v", path: path) }
    }

    @Test("domains must be host names", arguments: ["", "a.com; Secure", "a com", "a.com\r\n", "ex_ample.com", String(repeating: "a", count: 254)])
    func invalidDomains(_ domain: String) {
        #expect(throws: CookieError.invalidDomain) { try SetCookie(name: "n", value: "v", domain: domain) }
    }

    @Test("SameSite=None needs Secure")
    func sameSiteNone() throws {
        #expect(throws: CookieError.sameSiteNoneWithoutSecure) {
            try SetCookie(name: "n", value: "v", secure: false, sameSite: SetCookie.SameSite.none)
        }
        #expect(try SetCookie(name: "n", value: "v", sameSite: SetCookie.SameSite.none).headerValue.hasSuffix("; SameSite=None"))
    }

    @Test("the description never shows the value")
    func description() throws {
        let cookie = try SetCookie(name: "vz_authn", value: "secretvalue")
        #expect(!cookie.description.contains("secretvalue"))
        #expect(!"\(cookie)".contains("secretvalue"))
        #expect(cookie.description.contains("11 bytes"))
    }

    @Test("IMF-fixdate", arguments: [
        (Int64(0), "Thu, 01 Jan 1970 00:00:00 GMT"),
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
        (1_700_000_000, "Tue, 14 Nov 2023 22:13:20 GMT"),
        (1_709_164_800, "Thu, 29 Feb 2024 00:00:00 GMT"),
        (4_102_444_800, "Fri, 01 Jan 2100 00:00:00 GMT"),
        (253_402_300_799, "Fri, 31 Dec 9999 23:59:59 GMT"),
        (-86_400, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (Int64.max, "Fri, 31 Dec 9999 23:59:59 GMT"),
    ])
    func imfFixdate(seconds: Int64, expected: String) {
        #expect(IMFFixdate.format(secondsSince1970: seconds) == expected)
    }

    @Test("Expires from odd dates does not trap")
    func oddDates() throws {
        for seconds in [-1e300, 1e300, Double.infinity, -Double.infinity] {
            let cookie = try SetCookie(name: "n", value: "v", expires: Date(timeIntervalSince1970: seconds))
            #expect(cookie.headerValue.contains("Expires="))
        }
    }
}
