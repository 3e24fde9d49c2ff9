import Foundation
import Testing
import VZAuthTestSupport

/// Starts a console double, runs `body`, and stops it.
private func withConsole(_ body: (ConsoleDouble) async throws -> Void) async throws {
    let console = ConsoleDouble()
    try await console.start()
    do {
        try await body(console)
    } catch {
        try await console.shutdown()
        throw error
    }
    try await console.shutdown()
}

private func percentEncoded(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return text.addingPercentEncoding(withAllowedCharacters: allowed)!
}

@Suite("Test support: console double and browser client")
struct TestSupportSelfTests {
    // MARK: Cookie jar rules

    @Test("Path attribute, default path, path matching and Cookie header order")
    func cookiePaths() throws {
        let browser = BrowserClient()
        try browser.receiveSetCookie("root=1; Path=/", from: "http://127.0.0.1:8000/x")
        try browser.receiveSetCookie("api=2; Path=/api", from: "http://127.0.0.1:8000/")
        try browser.receiveSetCookie("deflt=3", from: "http://127.0.0.1:8000/docs/page")  // default path /docs
        try browser.receiveSetCookie("bad=4; Path=relative", from: "http://127.0.0.1:8000/a/b")  // default path /a

        #expect(try browser.cookieHeader(for: "http://127.0.0.1:8000/") == "root=1")
        #expect(try browser.cookieHeader(for: "http://127.0.0.1:8000/api") == "api=2; root=1")
        #expect(try browser.cookieHeader(for: "http://127.0.0.1:8000/api/user?x=1") == "api=2; root=1")
        #expect(try browser.cookieHeader(for: "http://127.0.0.1:8000/apiary") == "root=1")
        #expect(try browser.cookieHeader(for: "http://127.0.0.1:8000/docs/other") == "deflt=3; root=1")
        #expect(try browser.cookieHeader(for: "http://127.0.0.1:8000/a/c") == "bad=4; root=1")

        // Same name under two paths: two cookies; the accessor reports the most specific one.
        try browser.receiveSetCookie("root=deep; Path=/api", from: "http://127.0.0.1:8000/")
        #expect(try browser.cookieHeader(for: "http://127.0.0.1:8000/api") == "api=2; root=deep; root=1")
        #expect(browser.cookies(for: "127.0.0.1") == ["root": "deep", "api": "2", "deflt": "3", "bad": "4"])
    }

    @Test("Max-Age and Expires: expiry, deletion, replacement")
    func cookieExpiry() throws {
        let browser = BrowserClient()
        let url = "http://127.0.0.1:9000/"
        try browser.receiveSetCookie("session=s; Path=/", from: url)
        try browser.receiveSetCookie("short=x; Max-Age=60; Path=/", from: url)
        try browser.receiveSetCookie("future=f; Expires=Wed, 01 Jan 2200 00:00:00 GMT; Path=/", from: url)
        try browser.receiveSetCookie("netscape=n; expires=Wed, 01-Jan-2200 00:00:00 GMT; Path=/", from: url)
        try browser.receiveSetCookie("past=p; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/", from: url)
        try browser.receiveSetCookie("both=b; Max-Age=3600; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/", from: url)
        #expect(Set(browser.cookies(for: "127.0.0.1").keys) == ["session", "short", "future", "netscape", "both"])
        #expect(browser.allCookies.first { $0.name == "session" }?.expires == nil)

        browser.advanceClock(by: 61)
        #expect(browser.cookies(for: "127.0.0.1")["short"] == nil)
        #expect(browser.cookies(for: "127.0.0.1")["both"] == "b")

        // Deletion the way servers do it.
        try browser.receiveSetCookie("session=; Max-Age=0; Path=/", from: url)
        try browser.receiveSetCookie("future=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/", from: url)
        #expect(Set(browser.cookies(for: "127.0.0.1").keys) == ["netscape", "both"])
        // A deletion with another path does not touch the cookie.
        try browser.receiveSetCookie("netscape=; Max-Age=0; Path=/other", from: url)
        #expect(browser.cookies(for: "127.0.0.1")["netscape"] == "n")
        // Replacement keeps one cookie.
        try browser.receiveSetCookie("netscape=n2; Path=/", from: url)
        #expect(try browser.cookieHeader(for: url) == "netscape=n2; both=b")
    }

    @Test("Host-only cookies: 127.0.0.1 and localhost differ, ports share; Domain; Secure; tampering accessors")
    func cookieHosts() throws {
        let browser = BrowserClient()
        try browser.receiveSetCookie("vz=1; Path=/; HttpOnly; SameSite=Lax", from: "http://127.0.0.1:4000/")
        #expect(try browser.cookieHeader(for: "http://127.0.0.1:5000/any") == "vz=1")
        #expect(try browser.cookieHeader(for: "http://localhost:4000/") == nil)
        #expect(browser.cookies(for: "localhost").isEmpty)
        #expect(browser.allCookies.first?.httpOnly == true)
        #expect(browser.allCookies.first?.hostOnly == true)

        // Domain attributes must cover the host; an IP address only matches itself.
        try browser.receiveSetCookie("evil=1; Domain=example.com; Path=/", from: "http://127.0.0.1:4000/")
        try browser.receiveSetCookie("wide=1; Domain=.example.com; Path=/", from: "http://app.example.com/")
        #expect(browser.cookies(for: "127.0.0.1")["evil"] == nil)
        #expect(try browser.cookieHeader(for: "http://other.example.com/") == "wide=1")

        // Secure: stored, sent over HTTPS only.
        try browser.receiveSetCookie("sec=1; Path=/; Secure", from: "http://localhost:4000/")
        #expect(try browser.cookieHeader(for: "http://localhost:4000/") == nil)
        #expect(try browser.cookieHeader(for: "https://localhost:4443/") == "sec=1")

        browser.setCookie(name: "vz", value: "tampered", host: "127.0.0.1")
        #expect(browser.cookies(for: "127.0.0.1") == ["vz": "tampered"])
        browser.removeCookie(name: "vz", host: "127.0.0.1")
        #expect(browser.cookies(for: "127.0.0.1").isEmpty)
        browser.clear()
        #expect(browser.allCookies.isEmpty)
    }

    // MARK: Console double

    @Test("Console: identity JSON from auth-proxy headers, recording, reset")
    func consoleIdentity() async throws {
        try await withConsole { console in
            let browser = BrowserClient()
            let anonymous = try await browser.get(console.url("/api/user"), headers: [("Accept", "text/html")])
            #expect(anonymous.status == 200)
            let anonymousJSON = try #require(anonymous.jsonObject)
            #expect(anonymousJSON["login"] is NSNull)
            #expect(anonymousJSON["cookies"] is NSNull)
            #expect(anonymousJSON["authorization"] as? Bool == false)

            let response = try await browser.get(console.url("/api/user?x=1"), headers: [
                ("X-WEBAUTH-USER", "al\"ice\\"), ("X-Forwarded-User", "alice"), ("X-Forwarded-Groups", "g1,g2"),
                ("x-proxy-roles", "admin"), ("Authorization", "Bearer t"), ("Cookie", "a=1; b=2"),
            ])
            let json = try #require(response.jsonObject)
            #expect(json["login"] as? String == "al\"ice\\")
            #expect(json["path"] as? String == "/api/user?x=1")
            #expect(json["forwardedUser"] as? String == "alice")
            #expect(json["forwardedGroups"] as? String == "g1,g2")
            #expect(json["roles"] as? String == "admin")
            #expect(json["cookies"] as? String == "a=1; b=2")
            #expect(json["authorization"] as? Bool == true)

            #expect(console.requestCount == 2)
            let last = try #require(console.lastRequest)
            #expect(last.method == "GET" && last.path == "/api/user" && last.query == "x=1")
            #expect(last.header("x-webauth-user") == "al\"ice\\")
            #expect(last.cookie("b") == "2")
            #expect(last.headers.first?.name == "Host")
            console.reset()
            #expect(console.requestCount == 0 && console.lastRequest == nil)
        }
    }

    @Test("Console: its own cookie round-trips; hosts and ports as a browser sees them")
    func consoleCookies() async throws {
        try await withConsole { console in
            try await withConsole { other in
                let browser = BrowserClient()
                let set = try await browser.get(console.url("/set-cookie"))
                #expect(set.setCookies == ["grafana_session=abc123; Path=/; HttpOnly"])
                #expect(browser.cookies(for: "127.0.0.1") == ["grafana_session": "abc123"])

                _ = try await browser.get(console.url("/api/user"))
                #expect(console.lastRequest?.header("Cookie") == "grafana_session=abc123")
                _ = try await browser.get(other.url("/api/user"))  // another port, same host: shared
                #expect(other.lastRequest?.header("Cookie") == "grafana_session=abc123")
                _ = try await browser.get("http://localhost:\(console.port)/api/user")  // another site
                #expect(console.lastRequest?.header("Cookie") == nil)

                let custom = try await browser.get(console.url("/set-cookie?cookie=\(percentEncoded("x=1; Path=/api"))&cookie=\(percentEncoded("grafana_session=; Max-Age=0; Path=/"))"))
                #expect(custom.setCookies == ["x=1; Path=/api", "grafana_session=; Max-Age=0; Path=/"])
                #expect(browser.cookies(for: "127.0.0.1") == ["x": "1"])
            }
        }
    }

    @Test("Console: streamed answer and streamed request body echo")
    func consoleStreaming() async throws {
        try await withConsole { console in
            let browser = BrowserClient()
            let stream = try await browser.get(console.url("/stream?count=4&delayMs=150"))
            #expect(stream.status == 200)
            #expect(stream.text == "line 1\nline 2\nline 3\nline 4\n")
            #expect(stream.header("Transfer-Encoding") == "chunked")
            let times = stream.bodyPartTimes
            #expect(!times.isEmpty)
            // The double waits between lines, so the last arrives no sooner than 3 × 150 ms after the request (only a
            // lower bound: on a busy machine the client may read several lines at once).
            #expect(times.last! >= .milliseconds(400))

            let echo = try await browser.send(method: "POST", url: console.url("/echo"),
                                              headers: [("Content-Type", "text/plain")], body: Array("hello body".utf8))
            #expect(echo.status == 200 && echo.text == "hello body")
            #expect(echo.header("Content-Type") == "text/plain")
            #expect(console.lastRequest?.bodyText == "hello body")

            let chunks = (1...3).map { Array("part\($0);".utf8) }
            let streamed = try await browser.send(method: "POST", url: console.url("/echo"), bodyChunks: chunks, chunkDelay: .milliseconds(100))
            #expect(streamed.text == "part1;part2;part3;")
            // The body goes out over 200 ms and is echoed as it arrives: the echo cannot end sooner.
            #expect(streamed.bodyPartTimes.last! >= .milliseconds(180))
            #expect(console.lastRequest?.header("Transfer-Encoding") == "chunked")
        }
    }

    @Test("Console: WebSocket echo (text, binary, ping) with the jar's cookies; refused upgrades")
    func consoleWebSocket() async throws {
        try await withConsole { console in
            let browser = BrowserClient()
            _ = try await browser.get(console.url("/set-cookie"))
            let echoed = try await browser.webSocketEcho(url: console.url("/ws"), message: "héllo \"live\"")
            #expect(echoed == "héllo \"live\"")
            let handshake = try #require(console.requests(path: "/ws").first)
            #expect(handshake.cookie("grafana_session") == "abc123")
            #expect(handshake.header("Upgrade") == "websocket")

            let big = String(repeating: "x", count: 70_000)
            let replies = try await browser.webSocketExchange(url: "ws://127.0.0.1:\(console.port)/ws?live=1", messages: [
                .binary([0, 1, 2, 255]), .ping([7]), .text(big),
            ])
            #expect(replies == [.binary([0, 1, 2, 255]), .pong([7]), .text(big), .close(code: 1000)])
            #expect(console.webSocketConnectionCount == 2)
            #expect(console.webSocketTexts == ["héllo \"live\"", big])

            await #expect(throws: BrowserClient.Failure.self) {
                _ = try await browser.webSocketEcho(url: console.url("/not-ws"), message: "x")
            }
            do {
                _ = try await browser.webSocketEcho(url: console.url("/api/user"), message: "x")
                Issue.record("expected a refused handshake")
            } catch BrowserClient.Failure.webSocketHandshakeFailed(let response) {
                #expect(response.status == 200)
                #expect(response.jsonObject?["path"] as? String == "/api/user")
            }
        }
    }

    // MARK: Redirects and concurrency

    @Test("follow: relative and absolute Locations, navigation headers, cookies at each hop, redirect limit")
    func followRedirects() async throws {
        try await withConsole { console in
            try await withConsole { other in
                let browser = BrowserClient()
                _ = try await browser.get(console.url("/set-cookie"))
                let last = other.url("/api/user")
                let middle = "/redirect?status=303&to=\(percentEncoded(last))"
                let first = console.url("/redirect?status=301&to=\(percentEncoded(middle))")
                let (final, chain) = try await browser.follow(first)
                #expect(final.status == 200)
                #expect(chain == [first, console.url(middle), last])
                let seen = try #require(other.lastRequest)
                #expect(seen.header("Sec-Fetch-Mode") == "navigate")
                #expect(seen.header("Accept") == "text/html,application/xhtml+xml")
                #expect(seen.cookie("grafana_session") == "abc123")
                #expect(console.requests.allSatisfy { $0.header("Sec-Fetch-Mode") == "navigate" || $0.path == "/set-cookie" })

                let relative = try await browser.follow(console.url("/a/redirect?to=b"))
                #expect(relative.chain.last == console.url("/a/b"))

                // A redirect from another site (localhost) withholds SameSite=Strict cookies, not Lax ones.
                try browser.receiveSetCookie("strict=1; Path=/; SameSite=Strict", from: console.baseURL)
                try browser.receiveSetCookie("lax=1; Path=/; SameSite=Lax", from: console.baseURL)
                _ = try await browser.follow("http://localhost:\(console.port)/redirect?to=\(percentEncoded(console.url("/landing")))")
                let landing = try #require(console.requests(path: "/landing").last)
                #expect(landing.cookie("lax") == "1" && landing.cookie("strict") == nil)
                _ = try await browser.follow(console.url("/redirect?to=%2Flanding"))
                #expect(console.requests(path: "/landing").last?.cookie("strict") == "1")

                let twoHops = console.url("/redirect?to=\(percentEncoded("/redirect?to=%2Fapi%2Fuser"))")
                #expect(try await browser.follow(twoHops, maxRedirects: 2).chain.last == console.url("/api/user"))
                await #expect(throws: BrowserClient.Failure.self) {
                    _ = try await browser.follow(twoHops, maxRedirects: 1)
                }
            }
        }
    }

    @Test("follow: the issuer double's auto-login and single sign-on redirect back with a code")
    func followIssuerLogin() async throws {
        let issuer = OIDCIssuerDouble()
        try await issuer.start()
        try await withConsole { console in
            issuer.addUser(.init(username: "alice"))
            issuer.setAutoLoginUser("alice")
            let browser = BrowserClient()
            let callback = console.url("/callback")
            let authorize = issuer.baseURL + issuer.realmPath + "/protocol/openid-connect/auth?client_id=verrazzano-pkce"
                + "&response_type=code&state=s1&code_challenge_method=S256&code_challenge=\(String(repeating: "A", count: 43))"
                + "&redirect_uri=\(percentEncoded(callback))"
            let (final, chain) = try await browser.follow(authorize)
            #expect(chain.count == 2)
            #expect(final.status == 200)
            let landed = try #require(console.lastRequest)
            #expect(landed.path == "/callback")
            #expect(landed.query?.contains("state=s1") == true && landed.query?.contains("code=") == true)
            #expect(browser.cookies(for: "127.0.0.1")[OIDCIssuerDouble.sessionCookieName] != nil)
            // Cookies set by the issuer (another port, same host) reach the console as well.
            #expect(landed.cookie(OIDCIssuerDouble.sessionCookieName) != nil)

            issuer.setAutoLoginUser(nil)
            let again = try await browser.follow(authorize)
            #expect(again.chain.count == 2, "single sign-on through the session cookie")
        }
        try await issuer.shutdown()
    }

    @Test("50 concurrent requests share one jar")
    func concurrentRequests() async throws {
        try await withConsole { console in
            let browser = BrowserClient()
            _ = try await browser.get(console.url("/set-cookie"))
            try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        if index % 10 == 0 { browser.setCookie(name: "n\(index)", value: "\(index)", host: "127.0.0.1") }
                        return try await browser.get(console.url("/api/user?i=\(index)")).status
                    }
                }
                for try await status in group { #expect(status == 200) }
            }
            let requests = console.requests(path: "/api/user")
            #expect(requests.count == 50)
            #expect(requests.allSatisfy { $0.cookie("grafana_session") == "abc123" })
            #expect(browser.cookies(for: "127.0.0.1").count == 6)
        }
    }

    @Test("Timeouts and refused connections")
    func failures() async throws {
        try await withConsole { console in
            let browser = BrowserClient(timeout: .milliseconds(300))
            await #expect(throws: BrowserClient.Failure.self) {
                _ = try await browser.get(console.url("/stream?count=3&delayMs=400"))
            }
            await #expect(throws: BrowserClient.Failure.self) {
                _ = try await browser.get("not a url")
            }
            await #expect(throws: (any Error).self) {
                _ = try await browser.get("http://127.0.0.1:1/")
            }
        }
    }
}

@Suite("ChildProcess: commands started without Foundation's Process")
struct ChildProcessTests {
    @Test("arguments, environment, standard input, separate output and error, exit status")
    func basics() async throws {
        let child = try ChildProcess("/bin/sh", ["-c", "read line; echo \"got $line $GREETING\"; echo oops >&2; exit 3"],
                                     environment: ["GREETING": "hello", "PATH": "/usr/bin:/bin"], input: Data("one\n".utf8),
                                     separateErrors: true)
        #expect(await child.waitForExit(timeout: .seconds(10)) == 3)
        #expect(child.text == "got one hello\n")
        #expect(child.errorText == "oops\n")
    }

    @Test("the child inherits standard input, output and error only, with default signals")
    func descriptorsAndSignals() async throws {
        // A socket of this process, not close-on-exec: a child must not keep it (nor its port) open.
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        // ls lists its own descriptors: the three it was given and the directory it reads (3).
        let child = try ChildProcess("/bin/ls", ["/proc/self/fd"])
        #expect(await child.waitForExit(timeout: .seconds(10)) == 0)
        #expect(child.text.split(separator: "\n").sorted() == ["0", "1", "2", "3"], "\(child.text)")

        let sleeper = try ChildProcess("/bin/sleep", ["30"])
        sleeper.terminate()
        #expect(await sleeper.waitForExit(timeout: .seconds(10)) == 128 + SIGTERM, "SIGTERM is not blocked in the child")
    }
}
