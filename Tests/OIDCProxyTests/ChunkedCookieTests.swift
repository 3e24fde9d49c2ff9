import Testing
@testable import OIDCProxy

@Suite("Cookie chunking")
struct ChunkedCookieTests {
    let chunking: ChunkedCookie
    let attributes = CookieAttributes.secureDefaults
    /// The length of `vz_authn=` plus the attributes: what the value may add to reach 4,000 bytes.
    let baseLength: Int

    init() throws {
        self.chunking = try ChunkedCookie(name: "vz_authn")
        self.baseLength = try SetCookie(name: "vz_authn", value: "", attributes: .secureDefaults).headerValue.utf8.count
    }

    /// The most value bytes that fit in `count` chunks: the first also carries "<N>.", the others a longer name.
    private func capacity(chunks count: Int) -> Int {
        count == 1 ? 4_000 - baseLength : count * (4_000 - baseLength - 2)
    }

    private func value(_ length: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        return String((0..<length).map { alphabet[$0 % alphabet.count] })
    }

    private func write(_ value: String, present: RequestCookies = RequestCookies(headerValues: [String]())) throws -> [SetCookie] {
        try chunking.setCookies(for: value, attributes: attributes, replacing: present)
    }

    @Test("exactly 4,000 bytes: one cookie")
    func exactlyAtLimit() throws {
        let text = value(capacity(chunks: 1))
        let cookies = try write(text)
        #expect(cookies.count == 1)
        #expect(cookies[0].name == "vz_authn")
        #expect(cookies[0].headerValue.utf8.count == 4_000)
        #expect(chunking.value(in: TestFixtures.browserCookies(after: cookies)) == .valid(text))
    }

    @Test("one byte more: two cookies, none longer than 4,000 bytes, count in the first")
    func oneByteOver() throws {
        let text = value(capacity(chunks: 1) + 1)
        let cookies = try write(text)
        #expect(cookies.map(\.name) == ["vz_authn", "vz_authn_1"])
        #expect(cookies[0].value.hasPrefix("2."))
        #expect(cookies.allSatisfy { $0.headerValue.utf8.count <= 4_000 })
        #expect(cookies[0].headerValue.utf8.count == 4_000)
        #expect(chunking.value(in: TestFixtures.browserCookies(after: cookies)) == .valid(text))
    }

    @Test("the maximum number of chunks, and one byte more")
    func maximumChunks() throws {
        let text = value(capacity(chunks: 8))
        let cookies = try write(text)
        #expect(cookies.count == 8)
        #expect(cookies.map(\.name) == ["vz_authn"] + (1...7).map { "vz_authn_\($0)" })
        #expect(cookies.allSatisfy { $0.headerValue.utf8.count == 4_000 })
        #expect(chunking.value(in: TestFixtures.browserCookies(after: cookies)) == .valid(text))
        #expect(throws: CookieError.valueTooLarge) { try write(value(capacity(chunks: 8) + 1)) }
    }

    @Test("a bound of one chunk disables chunking; the bound is 1 ... 9")
    func bounds() throws {
        let single = try ChunkedCookie(name: "s", maximumChunks: 1)
        #expect(throws: CookieError.valueTooLarge) {
            try single.setCookies(for: value(4_000), attributes: attributes, replacing: RequestCookies(headerValues: [String]()))
        }
        #expect(throws: CookieError.invalidConfiguration) { try ChunkedCookie(name: "s", maximumChunks: 0) }
        #expect(throws: CookieError.invalidConfiguration) { try ChunkedCookie(name: "s", maximumChunks: 10) }
        #expect(throws: CookieError.invalidName) { try ChunkedCookie(name: "s;x") }
        #expect(throws: CookieError.invalidValue) { try write("a.b") }
    }

    @Test("the pieces are joined byte for byte, even when the first starts with a combining mark (found by FuzzCookies)")
    func combiningMarkAfterCount() {
        let request = RequestCookies(headerValues: ["vz_authn=2.\u{301}abc; vz_authn_1=def"])
        #expect(chunking.value(in: request) == .valid("\u{301}abcdef"))
    }

    @Test("a missing middle chunk: no value")
    func missingMiddle() throws {
        let cookies = try write(value(capacity(chunks: 3)))
        #expect(cookies.count == 3)
        let request = TestFixtures.browserCookies(after: cookies.filter { $0.name != "vz_authn_1" })
        #expect(chunking.value(in: request) == .rejected(.malformed))
    }

    @Test("malformed chunk structures", arguments: [
        "vz_authn=2.abc",                                   // chunk 1 missing
        "vz_authn=2.abc; vz_authn_1=def; vz_authn_2=ghi",   // extra chunk
        "vz_authn=abc; vz_authn_1=def",                     // chunk beside an unchunked value
        "vz_authn_1=def",                                   // chunk without the first cookie
        "vz_authn=1.abc",                                   // count below 2
        "vz_authn=0.abc",
        "vz_authn=9.abc; vz_authn_1=a; vz_authn_2=a; vz_authn_3=a; vz_authn_4=a; vz_authn_5=a; vz_authn_6=a; vz_authn_7=a; vz_authn_8=a",
        "vz_authn=x.abc",
        "vz_authn=2.; vz_authn_1=def",                      // empty first piece
        "vz_authn=2.abc; vz_authn_1=",                      // empty chunk
        "vz_authn=",                                        // empty value
        "vz_authn=2.abc; vz_authn_1=def; vz_authn_12=x",    // a far chunk
    ])
    func malformed(_ header: String) {
        #expect(chunking.value(in: RequestCookies(headerValues: [header])) == .rejected(.malformed))
    }

    @Test("absent; names that are not chunk names are ignored")
    func absentAndForeign() {
        #expect(chunking.value(in: RequestCookies(headerValues: ["a=1"])) == .absent)
        let foreign = RequestCookies(headerValues: ["vz_authn=abc; vz_authn_x=1; vz_authn_01=2; vz_authn_=3"])
        #expect(chunking.value(in: foreign) == .valid("abc"))
    }

    @Test("an oversized chunk is refused")
    func oversizedChunk() {
        let request = RequestCookies(headerValues: ["vz_authn=2.abc; vz_authn_1=\(value(4_001))"])
        #expect(chunking.value(in: request) == .rejected(.malformed))
    }

    @Test("writing fewer chunks deletes the stale ones the request carried")
    func staleChunksDeleted() throws {
        let previous = try write(value(capacity(chunks: 5)))
        #expect(previous.count == 5)
        let present = TestFixtures.browserCookies(after: previous)

        let shorter = try write(value(capacity(chunks: 2)), present: present)
        #expect(shorter.map(\.name) == ["vz_authn", "vz_authn_1", "vz_authn_2", "vz_authn_3", "vz_authn_4"])
        #expect(shorter.prefix(2).allSatisfy { !$0.isDeletion })
        #expect(shorter.suffix(3).allSatisfy { $0.isDeletion })

        let single = try write("abc", present: present)
        #expect(single.map(\.name) == ["vz_authn", "vz_authn_1", "vz_authn_2", "vz_authn_3", "vz_authn_4"])
        #expect(single.dropFirst().allSatisfy { $0.isDeletion })
        #expect(chunking.value(in: TestFixtures.browserCookies(after: single)) == .valid("abc"))
    }

    @Test("logout deletes the first cookie and every chunk present")
    func logout() throws {
        let request = RequestCookies(headerValues: ["vz_authn=3.a; vz_authn_1=b; other=1; vz_authn_2=c; vz_authn_9=d"])
        let deletions = chunking.deletionCookies(presentIn: request, attributes: attributes)
        #expect(deletions.map(\.name) == ["vz_authn", "vz_authn_1", "vz_authn_2", "vz_authn_9"])
        #expect(deletions.allSatisfy { $0.isDeletion })
        #expect(chunking.deletionCookies(presentIn: RequestCookies(headerValues: [String]()), attributes: attributes).map(\.name) == ["vz_authn"])
    }
}
