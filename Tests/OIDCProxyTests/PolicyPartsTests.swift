import Foundation
import NIOCore
import NIOHTTP1
import OIDC
import ProxyCore
import ProxyFrontDoor
import Testing
@testable import OIDCProxy

@Suite("OIDC proxy: routing, forms, request rewriting")
struct PolicyPartsTests {
    private static let upstream = UpstreamEndpoint(host: "127.0.0.1", port: 3000, tlsContext: nil)

    @Test("login path patterns: exact paths and prefixes", arguments: [
        ("/", "/", true), ("/", "/app", false), ("/app/*", "/app/home", true), ("/app/*", "/app/", true),
        ("/app/*", "/app", true), ("/app/*", "/application", false), ("/app/*", "/api/status", false),
        ("/exact", "/exact", true), ("/exact", "/exact/more", false),
    ])
    func loginPathPatterns(pattern: String, path: String, matches: Bool) throws {
        #expect(try LoginPathPattern(pattern).matches(Substring(path)) == matches)
    }

    @Test("invalid login path patterns are refused", arguments: ["app", "/a*b", "*", "/*/x"])
    func invalidPatterns(_ text: String) {
        #expect(throws: OIDCProxyConfigurationError.self) { try LoginPathPattern(text) }
    }

    @Test("a route with login paths sends browsers to log in only there")
    func routeLoginPaths() throws {
        let route = ConsoleRoute(host: "osd.example.com", upstream: Self.upstream, publicBaseURL: "https://osd.example.com/",
                                 loginPaths: [try LoginPathPattern("/"), try LoginPathPattern("/app/*")])
        #expect(route.redirectURI == "https://osd.example.com/_authentication_callback")
        #expect(route.allowsLoginRedirect(for: "/"))
        #expect(route.allowsLoginRedirect(for: "/app/discover"))
        #expect(!route.allowsLoginRedirect(for: "/api/saved_objects"))
        let open = ConsoleRoute(host: nil, upstream: Self.upstream, publicBaseURL: "https://grafana.example.com")
        #expect(open.allowsLoginRedirect(for: "/anything"))
    }

    @Test("routes by host, port and case ignored; unknown hosts fall back only in sidecar mode")
    func routeTable() throws {
        let grafana = ConsoleRoute(host: "Grafana.Example.com", upstream: Self.upstream, publicBaseURL: "https://grafana.example.com")
        let shared = try RouteTable([grafana])
        #expect(shared.route(forHost: "grafana.example.com:443")?.host == "grafana.example.com")
        #expect(shared.route(forHost: "GRAFANA.EXAMPLE.COM")?.host == "grafana.example.com")
        #expect(shared.route(forHost: "evil.example.com") == nil)
        #expect(shared.route(forHost: nil) == nil)
        let sidecar = try RouteTable([ConsoleRoute(host: nil, upstream: Self.upstream, publicBaseURL: "https://x.example.com")])
        #expect(sidecar.route(forHost: "anything") != nil)
        #expect(throws: OIDCProxyConfigurationError.self) { try RouteTable([grafana, grafana]) }
        #expect(throws: OIDCProxyConfigurationError.self) { try RouteTable([]) }
        #expect(RouteTable.hostName("[::1]:8080") == "[::1]")
        #expect(RouteTable.hostName("bad host") == nil)
    }

    @Test("form and query parameters decode, bounded and hostile-safe")
    func formParameters() {
        let query = FormParameters(query: "/_authentication_callback?code=a%2Bb+c&state=x%3D1&state=second&empty=&bad=%zz#frag")
        #expect(query["code"] == "a+b c")
        #expect(query["state"] == "x=1")
        #expect(query["empty"] == "")
        #expect(query["bad"] == nil)
        #expect(FormParameters(query: "/no-query")["code"] == nil)
        let body = FormParameters(form: Array("logout_token=eyJ.a.b&x=%C3%A9".utf8))
        #expect(body["logout_token"] == "eyJ.a.b")
        #expect(body["x"] == "é")
        #expect(FormParameters(form: Array("x=%FF".utf8))["x"] == nil)
        let many = (0..<1_000).map { "p\($0)=v" }.joined(separator: "&")
        #expect(FormParameters(form: Array(many.utf8))["p999"] == nil)
        #expect(FormParameters(form: Array(many.utf8))["p0"] == "v")
    }

    private func request(_ uri: String, method: HTTPMethod = .GET, headers: [(String, String)]) -> ConsoleRequest {
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: HTTPHeaders(headers))
        let route = ConsoleRoute(host: nil, upstream: Self.upstream, upstreamBasePath: "/grafana",
                                 publicBaseURL: "https://grafana.example.com")
        let address = try? SocketAddress(ipAddress: "10.1.2.3", port: 5555)
        return ConsoleRequest(head: head, route: route, connection: ConnectionInfo(remoteAddress: address, isTLS: false),
                              path: OIDCProxyPolicy.path(of: uri))
    }

    @Test("forwarded requests carry the proxy's identity headers only, without its cookies or Authorization")
    func forwardedHead() {
        let request = request("/d/abc?orgId=1", headers: [
            ("Host", "grafana.example.com"), ("X-WEBAUTH-USER", "admin"), ("x-forwarded-user", "admin"),
            ("X-Forwarded-Groups", "verrazzano-admins"), ("x-proxy-roles", "vz_api_access"), ("Authorization", "Bearer secret"),
            ("X-Remote-User", "admin"), ("X-Forwarded-For", "192.0.2.1"), ("X-Forwarded-Proto", "http"),
            ("Cookie", "grafana_session=abc; vz_authn=sealed; vz_authn_1=more; vz_userinfo=x; vz_state=y; theme=dark"),
            ("Accept", "text/html"),
        ])
        let head = request.forwardedHead(as: ForwardedIdentity(username: "alice", groups: ["team-a", "team-b"], roles: ["vz_api_access"]))
            .httpRequestHead
        let headers = head.headers
        #expect(head.uri == "/grafana/d/abc?orgId=1")
        #expect(headers["X-WEBAUTH-USER"] == ["alice"])
        #expect(headers["X-Forwarded-User"] == ["alice"])
        #expect(headers["X-Forwarded-Groups"] == ["team-a,team-b"])
        #expect(headers["x-proxy-roles"] == ["vz_api_access"])
        #expect(headers["Authorization"].isEmpty)
        #expect(headers["X-Remote-User"].isEmpty)
        #expect(headers["X-Forwarded-For"] == ["192.0.2.1, 10.1.2.3"])
        #expect(headers["X-Forwarded-Proto"] == ["https"])
        #expect(headers["X-Forwarded-Host"] == ["grafana.example.com"])
        #expect(headers["Cookie"] == ["grafana_session=abc; theme=dark"])
        #expect(headers["Accept"] == ["text/html"])
    }

    @Test("only page navigations are sent to log in", arguments: [
        (HTTPMethod.GET, [("Accept", "text/html,application/xhtml+xml")], true),
        (HTTPMethod.GET, [("Accept", "text/html"), ("Sec-Fetch-Mode", "navigate")], true),
        (HTTPMethod.GET, [("Accept", "text/html"), ("Sec-Fetch-Mode", "cors")], false),
        (HTTPMethod.GET, [("Accept", "text/html"), ("X-Requested-With", "XMLHttpRequest")], false),
        (HTTPMethod.GET, [("Accept", "application/json")], false),
        (HTTPMethod.POST, [("Accept", "text/html")], false),
        (HTTPMethod.HEAD, [("Accept", "text/html")], true),
    ])
    func browserNavigation(method: HTTPMethod, headers: [(String, String)], expected: Bool) {
        #expect(request("/", method: method, headers: headers).isBrowserNavigation == expected)
    }

    @Test("the return URL after login is always a local path", arguments: [
        ("/d/abc?x=1", "/d/abc?x=1"), ("//evil.example.com/x", "/"), ("/\\evil.example.com", "/"),
        ("/" + String(repeating: "a", count: 3_000), "/"),
    ])
    func returnPath(uri: String, expected: String) {
        #expect(request(uri, headers: []).returnPath == expected)
    }

    @Test("the console refuses a comma in a group or role, and a session's names are all checked")
    func consoleRefusal() {
        #expect(ForwardedIdentity(username: "alice", groups: ["a,b"], roles: []).consoleRefusal?.problem == .comma)
        let session = SessionPayload(
            username: "alice", subject: "a1", groups: ["g"], roles: ["admin "], idToken: "t", refreshToken: nil,
            accessTokenIssuedAt: Date(), accessTokenExpiresAt: Date(), refreshTokenExpiresAt: nil, createdAt: Date(),
            sessionID: nil)
        #expect(ForwardedIdentity(session).consoleRefusal == ForwardedIdentity.Refusal(field: .roles, position: 1,
                                                                                       problem: .trailingWhitespace(" ")))
    }

    @Test("the console's answers: text with cookies after the challenge, and redirects, byte for byte")
    func consoleAnswers() throws {
        let cookie = try SetCookie(name: "vz_authn", value: "abc")
        let text = LocalResponse.consoleText(
            ProxyRefusal(.unauthorized, reason: "no_session", message: "Authentication required", challenge: .bearer),
            cookies: [cookie])
        #expect(text.headers.map { "\($0.name): \($0.value)" } == [
            "Content-Type: text/plain; charset=utf-8", "Cache-Control: no-store", #"WWW-Authenticate: Bearer realm="vzauth""#,
            "Set-Cookie: \(cookie.headerValue)",
        ])
        #expect(String(buffer: text.body) == "Authentication required\n")
        #expect(text.refusalReason == "no_session")
        let redirect = LocalResponse.redirect(to: "/home", cookies: [cookie], logUser: "alice")
        #expect(redirect.status == .found && redirect.logUser == "alice" && redirect.body.readableBytes == 0)
        #expect(redirect.headers.map { "\($0.name): \($0.value)" } == [
            "Location: /home", "Cache-Control: no-store", "Set-Cookie: \(cookie.headerValue)",
        ])
    }

    @Test("white space inside names passes; names are sent exactly")
    func exactNames() {
        let identity = ForwardedIdentity(username: "Jane Doe", groups: ["team a", "team b"], roles: ["vz_api_access"])
        #expect(identity.consoleRefusal == nil)
        let head = request("/", headers: []).forwardedHead(as: identity).httpRequestHead
        #expect(head.headers["X-WEBAUTH-USER"] == ["Jane Doe"])
        #expect(head.headers["X-Forwarded-Groups"] == ["team a,team b"])
    }
}

@Suite("OIDC proxy: single flight and logout registry")
struct CoordinationTests {
    @Test("concurrent callers with one key share one run; the result is remembered")
    func singleFlight() async throws {
        let flight = SingleFlight<Int>(retention: .seconds(30))
        let runs = Counter()
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    try await flight.run(key: "k") {
                        await runs.increment()
                        try await Task.sleep(for: .milliseconds(100))
                        return 7
                    }
                }
            }
            for try await value in group { #expect(value == 7) }
        }
        #expect(await runs.value == 1)
        // Remembered: a late caller (a request still carrying the old cookie) gets the same result.
        #expect(try await flight.run(key: "k") { 8 } == 7)
        #expect(try await flight.run(key: "other") { 9 } == 9)
    }

    @Test("a forgotten result runs again; a running one is not forgotten")
    func forget() async throws {
        let flight = SingleFlight<Int>(retention: .seconds(30))
        #expect(try await flight.run(key: "k") { 1 } == 1)
        flight.forget(key: "k")
        #expect(try await flight.run(key: "k") { 2 } == 2)
        #expect(flight.count == 1)
    }

    @Test("failures are shared too")
    func singleFlightFailure() async {
        struct Refused: Error {}
        let flight = SingleFlight<Int>(retention: .seconds(30))
        await #expect(throws: Refused.self) { try await flight.run(key: "k") { throw Refused() } }
        await #expect(throws: Refused.self) { try await flight.run(key: "k") { 1 } }
    }

    @Test("back-channel logouts end sessions by sid, or every earlier session of a user")
    func logoutRegistry() {
        let registry = LogoutRegistry(retention: 3_600, capacity: 3)
        let start = Date(timeIntervalSince1970: 1_000)
        let now = start.addingTimeInterval(200)
        registry.recordLogout(subject: "u1", sessionID: "s1", at: start.addingTimeInterval(10))
        #expect(registry.isLoggedOut(subject: "u1", sessionID: "s1", sessionStart: start, now: now))
        #expect(!registry.isLoggedOut(subject: "u1", sessionID: "s2", sessionStart: start, now: now))
        registry.recordLogout(subject: "u2", sessionID: nil, at: start.addingTimeInterval(10))
        #expect(registry.isLoggedOut(subject: "u2", sessionID: "any", sessionStart: start, now: now))
        #expect(!registry.isLoggedOut(subject: "u2", sessionID: "any", sessionStart: start.addingTimeInterval(20), now: now))
        // A later logout of the same user moves the line; an earlier one does not move it back.
        registry.recordLogout(subject: "u2", sessionID: nil, at: start.addingTimeInterval(30))
        registry.recordLogout(subject: "u2", sessionID: nil, at: start.addingTimeInterval(5))
        #expect(registry.isLoggedOut(subject: "u2", sessionID: "any", sessionStart: start.addingTimeInterval(20), now: now))
        // Forgotten once no session cookie could still be alive.
        #expect(!registry.isLoggedOut(subject: "u1", sessionID: "s1", sessionStart: start, now: start.addingTimeInterval(3_611)))
        // Bounded: the oldest entries go first.
        for index in 0..<10 { registry.recordLogout(subject: nil, sessionID: "x\(index)", at: start.addingTimeInterval(Double(100 + index))) }
        #expect(registry.isLoggedOut(subject: nil, sessionID: "x9", sessionStart: start, now: now))
        #expect(!registry.isLoggedOut(subject: nil, sessionID: "s1", sessionStart: start, now: now))
    }
}

private actor Counter {
    var value = 0
    func increment() { value += 1 }
}
