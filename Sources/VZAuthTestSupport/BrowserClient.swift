public import Foundation
public import NIOSSL
import NIOConcurrencyHelpers

/// One answer received by ``BrowserClient``.
public struct BrowserResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Every header line in the order received, repeated names included.
    public var headers: [(name: String, value: String)]
    /// The body bytes (de-chunked).
    public var body: [UInt8]
    /// The URL that was requested.
    public var url: String
    /// When each body part arrived, measured from the start of the request (for streaming checks).
    public var bodyPartTimes: [Duration]

    /// Creates a response.
    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8], url: String, bodyPartTimes: [Duration] = []) {
        self.status = status
        self.headers = headers
        self.body = body
        self.url = url
        self.bodyPartTimes = bodyPartTimes
    }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: self.body, as: UTF8.self) }

    /// Every value of header `name` (case-insensitive), in order.
    public func headerValues(_ name: String) -> [String] {
        self.headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? { self.headerValues(name).first }

    /// The `Location` header, if any (as sent: possibly relative).
    public var location: String? { self.header("Location") }

    /// The raw `Set-Cookie` header values, in order.
    public var setCookies: [String] { self.headerValues("Set-Cookie") }

    /// Whether the status is a redirect a browser follows (301, 302, 303, 307, 308) and a `Location` came.
    public var isRedirect: Bool { [301, 302, 303, 307, 308].contains(self.status) && self.location != nil }

    /// The body parsed as a JSON object, if it is one.
    public var jsonObject: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(self.body))) as? [String: Any]
    }
}

/// A browser-like HTTP/1.1 client for end-to-end login tests: one connection per request (`Connection: close`),
/// plain HTTP (HTTPS when given a TLS configuration), no automatic redirects except through
/// ``follow(_:maxRedirects:)``, and a cookie jar that behaves like a browser's (RFC 6265):
///
/// - cookies are stored per (host without port, path, name); host-only cookies (no `Domain`) go back to exactly
///   that host on any port, so `127.0.0.1` and `localhost` are different sites while two ports of one host share
///   cookies;
/// - `Max-Age` (preferred) and `Expires` are honoured; `Max-Age=0` or a past `Expires` deletes the cookie;
/// - `Path` matching and the default path; `Secure` cookies are stored but only sent over HTTPS; `HttpOnly` is
///   stored and changes nothing; `SameSite=Strict` cookies are withheld on navigations redirected from another host;
/// - matching cookies go in one `Cookie: a=1; b=2` header (longer paths first), unless the caller passes its own
///   `Cookie` header, which is sent instead.
///
/// Safe to use from many tasks at once (the jar is shared and lock-protected).
///
/// ```swift
/// let browser = BrowserClient()
/// let (final, chain) = try await browser.follow(proxyURL + "/api/user")  // through the login redirects
/// #expect(final.status == 200)
/// #expect(browser.cookies(for: "127.0.0.1")["vz_session"] != nil)
/// ```
public final class BrowserClient: Sendable {
    /// A request failure.
    public enum Failure: Error, CustomStringConvertible {
        /// The URL is not `http(s)://host[:port]/...`.
        case invalidURL(String)
        /// No complete answer within the timeout.
        case timeout(url: String)
        /// The connection closed before a complete answer.
        case connectionClosed(url: String)
        /// ``follow(_:maxRedirects:)`` met more redirects than allowed (the chain so far).
        case tooManyRedirects([String])
        /// A WebSocket handshake was not answered with `101` (the answer is included) or was invalid.
        case webSocketHandshakeFailed(BrowserResponse)
        /// A WebSocket protocol problem (bad frame, missing echo, ...).
        case webSocketProtocol(String)

        public var description: String {
            switch self {
            case .invalidURL(let url): "invalid URL \(url)"
            case .timeout(let url): "no complete answer from \(url) in time"
            case .connectionClosed(let url): "connection closed before a complete answer from \(url)"
            case .tooManyRedirects(let chain): "too many redirects: \(chain.joined(separator: " -> "))"
            case .webSocketHandshakeFailed(let response): "WebSocket handshake refused: \(response.status) \(response.text)"
            case .webSocketProtocol(let message): "WebSocket protocol error: \(message)"
            }
        }
    }

    /// The default timeout of each request.
    public let timeout: Duration
    /// The `User-Agent` sent.
    public let userAgent: String
    let tlsConfiguration: TLSConfiguration?
    let jar: NIOLockedValueBox<BrowserCookieJar>

    /// The headers a browser sends on a top-level navigation (used by ``follow(_:maxRedirects:)``).
    public static let navigationHeaders: [(String, String)] = [
        ("Accept", "text/html,application/xhtml+xml"),
        ("Sec-Fetch-Mode", "navigate"),
        ("Sec-Fetch-Dest", "document"),
    ]

    /// Creates a client with an empty cookie jar.
    ///
    /// - Parameters:
    ///   - timeout: How long each request may take (connect to last byte).
    ///   - tlsConfiguration: The TLS client configuration for `https` URLs (default: system trust roots).
    ///   - userAgent: The `User-Agent` header.
    public init(
        timeout: Duration = .seconds(10),
        tlsConfiguration: TLSConfiguration? = nil,
        userAgent: String = "Mozilla/5.0 (vzauth BrowserClient)"
    ) {
        self.timeout = timeout
        self.tlsConfiguration = tlsConfiguration
        self.userAgent = userAgent
        self.jar = NIOLockedValueBox(BrowserCookieJar())
    }

    // MARK: Requests

    /// Sends one `GET` (cookies applied, `Set-Cookie` stored, redirects not followed).
    public func get(_ url: String, headers: [(String, String)] = [], timeout: Duration? = nil) async throws -> BrowserResponse {
        try await self.send(method: "GET", url: url, headers: headers, body: nil, timeout: timeout)
    }

    /// Sends one request with an optional body (`Content-Length` added), applying and storing cookies.
    public func send(
        method: String,
        url: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil,
        timeout: Duration? = nil
    ) async throws -> BrowserResponse {
        try await self.perform(method: method, url: url, headers: headers, body: body.map { .whole($0) },
                               timeout: timeout ?? self.timeout, crossSiteNavigation: false)
    }

    /// Sends one request whose body goes out chunked (`Transfer-Encoding: chunked`), one chunk every `chunkDelay`:
    /// for checking that a proxy streams request bodies.
    public func send(
        method: String,
        url: String,
        headers: [(String, String)] = [],
        bodyChunks: [[UInt8]],
        chunkDelay: Duration,
        timeout: Duration? = nil
    ) async throws -> BrowserResponse {
        try await self.perform(method: method, url: url, headers: headers, body: .chunked(bodyChunks, delay: chunkDelay),
                               timeout: timeout ?? self.timeout, crossSiteNavigation: false)
    }

    /// Navigates to `url` like a browser: `GET` with ``navigationHeaders`` (plus `headers`), following 301, 302,
    /// 303, 307 and 308 `Location`s (absolute or relative), with cookies applied and stored at every hop.
    ///
    /// - Returns: The last answer, and every URL requested in order (`url` first, the final URL last).
    /// - Throws: ``Failure/tooManyRedirects(_:)`` after `maxRedirects` redirects.
    public func follow(
        _ url: String,
        maxRedirects: Int = 10,
        headers: [(String, String)] = []
    ) async throws -> (final: BrowserResponse, chain: [String]) {
        var chain = [url]
        var current = url
        var crossSite = false
        var previousHost: String?
        while true {
            let target = try BrowserURL(current)
            if let previousHost, previousHost != target.cookieHost { crossSite = true }
            let merged = Self.navigationHeaders.filter { name in
                !headers.contains { $0.0.lowercased() == name.0.lowercased() }
            } + headers
            let response = try await self.perform(method: "GET", url: current, headers: merged, body: nil,
                                                  timeout: self.timeout, crossSiteNavigation: crossSite)
            guard response.isRedirect, let location = response.location else {
                return (response, chain)
            }
            guard chain.count <= maxRedirects else {
                throw Failure.tooManyRedirects(chain)
            }
            previousHost = target.cookieHost
            current = try target.resolve(location)
            chain.append(current)
        }
    }

    // MARK: Cookie jar

    /// The live cookies that would be sent to `host` (any port, any path, over HTTPS), name to value; if a name is
    /// stored under several paths, the most specific path wins.
    public func cookies(for host: String) -> [String: String] {
        let cookies = self.jar.withLockedValue { jar in
            jar.all().filter { BrowserCookieJar.domainMatches($0, host: BrowserCookieJar.canonicalHost(host)) }
        }
        var result: [String: String] = [:]
        for cookie in cookies.sorted(by: { $0.path.count < $1.path.count }) {
            result[cookie.name] = cookie.value
        }
        return result
    }

    /// Every live cookie in the jar (all hosts), in creation order.
    public var allCookies: [BrowserCookie] {
        self.jar.withLockedValue { $0.all() }
    }

    /// The `Cookie` header a request to `url` would carry now, or `nil` if none.
    public func cookieHeader(for url: String) throws -> String? {
        let target = try BrowserURL(url)
        return self.jar.withLockedValue {
            $0.cookieHeader(host: target.cookieHost, path: target.path, secureChannel: target.isSecure)
        }
    }

    /// Adds or replaces a host-only session cookie for `host` (to tamper with a session, for example).
    public func setCookie(name: String, value: String, host: String, path: String = "/") {
        self.jar.withLockedValue { $0.set(name: name, value: value, host: host, path: path) }
    }

    /// Processes a `Set-Cookie` value as if it came in an answer to `url`.
    public func receiveSetCookie(_ header: String, from url: String) throws {
        let target = try BrowserURL(url)
        self.jar.withLockedValue { $0.receive(header, host: target.cookieHost, requestPath: target.path) }
    }

    /// Removes every cookie named `name` that would be sent to `host`.
    public func removeCookie(name: String, host: String) {
        self.jar.withLockedValue { $0.remove(name: name, host: host) }
    }

    /// Empties the jar.
    public func clear() {
        self.jar.withLockedValue { $0.removeAll() }
    }

    /// Makes the jar's clock run `seconds` ahead (cookie expiry only; the servers' clocks are unaffected).
    public func advanceClock(by seconds: TimeInterval) {
        self.jar.withLockedValue { $0.clockOffset += seconds }
    }

    // MARK: Internals

    /// Applies the jar to `headers` (unless a `Cookie` header is given) and adds the client's defaults.
    func requestHeaders(for target: BrowserURL, headers: [(String, String)], crossSiteNavigation: Bool) -> [(String, String)] {
        var result: [(String, String)] = [("Host", target.hostHeader)]
        let given = Set(headers.map { $0.0.lowercased() })
        if !given.contains("user-agent") { result.append(("User-Agent", self.userAgent)) }
        if !given.contains("accept") { result.append(("Accept", "*/*")) }
        result += headers.filter { $0.0.lowercased() != "host" }
        if !given.contains("cookie"),
           let cookie = self.jar.withLockedValue({
               $0.cookieHeader(host: target.cookieHost, path: target.path, secureChannel: target.isSecure,
                               crossSiteNavigation: crossSiteNavigation)
           }) {
            result.append(("Cookie", cookie))
        }
        return result
    }

    /// Stores the answer's cookies.
    func storeCookies(of response: BrowserResponse, for target: BrowserURL) {
        let setCookies = response.setCookies
        guard !setCookies.isEmpty else { return }
        self.jar.withLockedValue { jar in
            for header in setCookies {
                jar.receive(header, host: target.cookieHost, requestPath: target.path)
            }
        }
    }
}

/// A parsed `http(s)` URL.
struct BrowserURL: Sendable {
    var scheme: String
    /// The host as written (without brackets for IPv6).
    var host: String
    var port: Int
    /// The path (`/` when empty), percent-encoded as given.
    var path: String
    /// The query without `?`, if any.
    var query: String?

    init(_ string: String) throws {
        guard let components = URLComponents(string: string),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https" || scheme == "ws" || scheme == "wss",
              let host = components.host, !host.isEmpty
        else {
            throw BrowserClient.Failure.invalidURL(string)
        }
        self.scheme = scheme
        self.host = BrowserCookieJar.canonicalHost(host)
        self.port = components.port ?? ((scheme == "https" || scheme == "wss") ? 443 : 80)
        self.path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        self.query = components.percentEncodedQuery
    }

    var isSecure: Bool { self.scheme == "https" || self.scheme == "wss" }
    var cookieHost: String { self.host }
    var requestTarget: String { self.path + (self.query.map { "?" + $0 } ?? "") }
    var hostHeader: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        let defaultPort = self.isSecure ? 443 : 80
        return self.port == defaultPort ? host : "\(host):\(self.port)"
    }
    var origin: String { "\(self.scheme)://\(self.hostHeader)" }

    /// `reference` (absolute, scheme-relative, absolute-path or relative) resolved against this URL.
    func resolve(_ reference: String) throws -> String {
        if let components = URLComponents(string: reference), components.scheme != nil {
            return reference
        }
        if reference.hasPrefix("//") {
            return self.scheme + ":" + reference
        }
        if reference.hasPrefix("/") {
            return self.origin + reference
        }
        if reference.hasPrefix("?") {
            return self.origin + self.path + reference
        }
        guard let base = URL(string: self.origin + self.path), let resolved = URL(string: reference, relativeTo: base) else {
            throw BrowserClient.Failure.invalidURL(reference)
        }
        return resolved.absoluteString
    }
}
