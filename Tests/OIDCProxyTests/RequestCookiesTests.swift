import NIOHTTP1
import Testing
@testable import OIDCProxy

@Suite("Request cookie parsing")
struct RequestCookiesTests {
    private func parse(_ lines: String...) -> RequestCookies {
        RequestCookies(headerValues: lines)
    }

    @Test("browser syntax: separators, optional whitespace, = inside values")
    func browserSyntax() {
        let cookies = parse(" a=1;b=2 ;  c = 3\t; d=x=y==;e=")
        #expect(cookies["a"] == "1")
        #expect(cookies["b"] == "2")
        #expect(cookies["c"] == "3")
        #expect(cookies["d"] == "x=y==")
        #expect(cookies["e"] == "")
        #expect(cookies.count == 5)
    }

    @Test("double quotes around a value are removed once; a lone quote stays")
    func quotes() {
        let cookies = parse(#"a="x y"; b=""; c="; d=""q""; e="abc"#)
        #expect(cookies["a"] == "x y")
        #expect(cookies["b"] == "")
        #expect(cookies["c"] == "\"")
        #expect(cookies["d"] == "\"q\"")
        #expect(cookies["e"] == "\"abc")
    }

    @Test("malformed pairs are skipped: no =, empty name, empty segments")
    func malformedPairs() {
        let cookies = parse(";;novalue; =orphan;  = x ; a=1;;")
        #expect(cookies.count == 1)
        #expect(cookies["a"] == "1")
        #expect(cookies["novalue"] == nil)
        #expect(cookies[""] == nil)
    }

    @Test("names are exact and case-sensitive, byte for byte")
    func exactNames() {
        let cookies = parse("VZ_AUTHN=upper; vz_authn =spaced; \u{212A}=kelvin")
        #expect(cookies["vz_authn"] == "spaced")
        #expect(cookies["VZ_AUTHN"] == "upper")
        #expect(cookies["Vz_authn"] == nil)
        // U+212A KELVIN SIGN is canonically equivalent to "K" for Swift strings, but it is another name.
        #expect(cookies["K"] == nil)
        #expect(cookies["\u{212A}"] == "kelvin")
    }

    @Test("only ASCII ; separates: a Greek question mark does not")
    func greekQuestionMark() {
        let cookies = parse("a=1\u{037E}b=2")
        #expect(cookies["a"] == "1\u{037E}b=2")
        #expect(cookies["b"] == nil)
    }

    @Test("the first occurrence wins, across lines too")
    func duplicates() {
        let cookies = parse("a=first; a=second", "a=third; b=1")
        #expect(cookies["a"] == "first")
        #expect(cookies["b"] == "1")
        #expect(cookies.count == 4)
        #expect(cookies.names(withPrefix: "") == ["a", "b"])
    }

    @Test("all Cookie lines of HTTPHeaders, name matched case-insensitively")
    func fromHeaders() {
        let headers = HTTPHeaders([("cookie", "a=1"), ("X-Other", "b=2"), ("COOKIE", "c=3")])
        let cookies = RequestCookies(headers: headers)
        #expect(cookies["a"] == "1")
        #expect(cookies["b"] == nil)
        #expect(cookies["c"] == "3")
        #expect(RequestCookies(headers: [:]).isEmpty)
    }

    @Test("names by prefix are distinct and in order")
    func namesWithPrefix() {
        let cookies = parse("vz_authn=0; x=1; vz_authn_2=2; vz_authn_1=1; vz_authn_2=again; vz_authnx=3")
        #expect(cookies.names(withPrefix: "vz_authn_") == ["vz_authn_2", "vz_authn_1"])
        #expect(cookies.contains("vz_authnx"))
    }

    @Test("thousands of cookies: only the first maximumCount are read")
    func thousandsOfCookies() {
        let line = (0..<10_000).map { "c\($0)=\($0)" }.joined(separator: "; ")
        let cookies = parse(line)
        #expect(cookies.count == RequestCookies.defaultMaximumCount)
        #expect(cookies["c0"] == "0")
        #expect(cookies["c255"] == "255")
        #expect(cookies["c256"] == nil)
        #expect(cookies["c9999"] == nil)
    }

    @Test("a huge header: bytes beyond the bound are ignored, a cut pair is dropped whole")
    func hugeHeader() {
        let filler = String(repeating: "x", count: 1_000)
        let line = "a=1; big=\(filler); b=2"
        let cut = RequestCookies(headerValues: [line], maximumHeaderBytes: 500)
        #expect(cut["a"] == "1")
        #expect(cut["big"] == nil)
        #expect(cut["b"] == nil)

        let exact = RequestCookies(headerValues: ["a=1; b=22"], maximumHeaderBytes: 9)
        #expect(exact["b"] == "22")
        let oneShort = RequestCookies(headerValues: ["a=1; b=22"], maximumHeaderBytes: 8)
        #expect(oneShort["a"] == "1")
        #expect(oneShort["b"] == nil)

        // The bound spans lines.
        let lines = RequestCookies(headerValues: ["a=1", "b=2", "c=3"], maximumHeaderBytes: 7)
        #expect(lines["b"] == "2")
        #expect(lines["c"] == nil)

        // Megabytes of hostile text stay cheap: only the bounded prefix is examined.
        let megabytes = String(repeating: ";=\" \t", count: 400_000)
        let hostile = parse(megabytes, megabytes + "a=1")
        #expect(hostile.isEmpty)
    }

    @Test("random bytes never crash the parser", arguments: [UInt64(1), 2, 3])
    func randomInput(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let alphabet = Array("ab=; \t\"\u{0}\r\n,é\u{037E}".unicodeScalars)
        for _ in 0..<300 {
            let length = Int.random(in: 0..<200, using: &random)
            var text = ""
            for _ in 0..<length {
                text.unicodeScalars.append(alphabet[Int.random(in: 0..<alphabet.count, using: &random)])
            }
            let cookies = parse(text, text)
            #expect(cookies.count <= RequestCookies.defaultMaximumCount)
            _ = cookies["a"]
            var headers = HTTPHeaders([("Cookie", text)])
            RequestCookies.removeCookies(matching: .proxyOwned, from: &headers)
        }
    }
}

@Suite("Removing the proxy's cookies before forwarding")
struct CookieRemovalTests {
    @Test("proxy cookies go, the console's stay byte for byte")
    func removesOwnCookies() {
        var headers = HTTPHeaders([
            ("Host", "grafana.example.com"),
            ("Cookie", #"_ga=GA1.2.3; vz_authn=2.abc;grafana_session="q w"; vz_authn_1=x  ;  vz_state=s; theme = dark"#),
        ])
        let removed = RequestCookies.removeCookies(matching: .proxyOwned, from: &headers)
        #expect(removed == 3)
        #expect(headers["Cookie"] == [#"_ga=GA1.2.3; grafana_session="q w"; theme = dark"#])
        #expect(headers["Host"] == ["grafana.example.com"])
    }

    @Test("nothing to remove: the headers are untouched, lines and all")
    func untouched() {
        let original = HTTPHeaders([("Cookie", "a=1;b=2"), ("Accept", "*/*"), ("cookie", "VZ_AUTHN=not-ours")])
        var headers = original
        #expect(RequestCookies.removeCookies(matching: .proxyOwned, from: &headers) == 0)
        #expect(Array(headers.map { "\($0.name): \($0.value)" }) == Array(original.map { "\($0.name): \($0.value)" }))
    }

    @Test("the header is removed when nothing remains")
    func removesHeader() {
        var headers = HTTPHeaders([("Cookie", "vz_authn=a; vz_userinfo=b"), ("Cookie", "vz_authn_3=c"), ("Accept", "*/*")])
        #expect(RequestCookies.removeCookies(matching: .proxyOwned, from: &headers) == 3)
        #expect(!headers.contains(name: "Cookie"))
        #expect(headers["Accept"] == ["*/*"])
    }

    @Test("several lines become one, in order")
    func mergesLines() {
        var headers = HTTPHeaders([("Cookie", "a=1; vz_state=x"), ("Cookie", "b=2")])
        RequestCookies.removeCookies(matching: .proxyOwned, from: &headers)
        #expect(headers["Cookie"] == ["a=1; b=2"])
    }

    @Test("no bound: a proxy cookie behind thousands of others is still removed")
    func unbounded() {
        let others = (0..<3_000).map { "c\($0)=\($0)" }.joined(separator: "; ")
        var headers = HTTPHeaders([("Cookie", others + "; vz_authn=secret")])
        #expect(RequestCookies.removeCookies(matching: .proxyOwned, from: &headers) == 1)
        #expect(headers["Cookie"] == [others])
    }

    @Test("custom filters match names exactly or by prefix")
    func customFilter() {
        let filter = CookieNameFilter(names: ["exact"], prefixes: ["pre_"])
        #expect(filter.matches("exact"))
        #expect(!filter.matches("exactly"))
        #expect(filter.matches("pre_1"))
        #expect(!filter.matches("pre"))
        #expect(CookieNameFilter.proxyOwned.matches("vz_authn_7"))
        #expect(!CookieNameFilter.proxyOwned.matches("vz_stateful"))
    }
}
