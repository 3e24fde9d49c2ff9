import NIOConcurrencyHelpers
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A web console behind an auth proxy, for end-to-end tests of the OIDC proxy: an HTTP/1.1 server on `127.0.0.1`
/// (ephemeral port, plain HTTP) that trusts identity headers the way Grafana does in auth-proxy mode, records every
/// request, and offers the kinds of traffic a console produces.
///
/// Endpoints (the query string is ignored unless said otherwise):
/// - `GET /set-cookie`: 200 with `Set-Cookie: grafana_session=abc123; Path=/; HttpOnly` (the console's own cookie).
///   With `?cookie=<percent-encoded Set-Cookie value>` (repeatable) it sets those instead.
/// - `GET /stream?count=N&delayMs=D`: a chunked `text/plain` answer of N lines `line <i>\n`, one every D ms.
/// - `POST /echo`: answers 200 at once and streams the request body back as it arrives (chunked, same
///   `Content-Type`).
/// - `GET /redirect?to=<percent-encoded URL>&status=302` (also `<any prefix>/redirect`): a redirect to `to` (default
///   `/`; may be relative) with `status` (default 302), for redirect tests.
/// - `GET /ws` with a WebSocket upgrade (version 13): echoes text and binary frames, answers pings with pongs and
///   closes cleanly (like Grafana Live). See `ConsoleDouble+WebSocket.swift`.
/// - anything else (`GET /api/user` included, any method): 200 JSON describing who the console sees:
///   `{"login": X-WEBAUTH-USER or null, "path": <uri>, "method": ..., "forwardedUser": X-Forwarded-User or null,
///   "forwardedGroups": X-Forwarded-Groups or null, "forwardedEmail": X-Forwarded-Email or null,
///   "roles": x-proxy-roles or null, "cookies": the Cookie header(s) joined by "; " or null,
///   "authorization": whether an Authorization header came}`. It never demands a login: the proxy enforces that.
///
/// ```swift
/// let console = ConsoleDouble()
/// try await console.start()
/// defer { Task { try await console.shutdown() } }
/// // point the proxy's upstream at console.baseURL, then:
/// #expect(console.lastRequest?.header("X-WEBAUTH-USER") == "alice")
/// ```
public final class ConsoleDouble: Sendable {
    /// One request as the console received it (for upgrades, the handshake request).
    public struct Request: Sendable {
        /// `GET`, `POST`, ...
        public var method: String
        /// The request target as sent (path and query).
        public var uri: String
        /// Every header line in the order received, repeated names included.
        public var headers: [(name: String, value: String)]
        /// The body bytes (empty for none).
        public var body: [UInt8]

        /// Creates a recorded request.
        public init(method: String, uri: String, headers: [(name: String, value: String)], body: [UInt8]) {
            self.method = method
            self.uri = uri
            self.headers = headers
            self.body = body
        }

        /// The path without the query.
        public var path: String { String(self.uri.prefix { $0 != "?" }) }

        /// The raw query (without `?`), if any.
        public var query: String? {
            guard let index = self.uri.firstIndex(of: "?") else { return nil }
            return String(self.uri[self.uri.index(after: index)...])
        }

        /// The body as UTF-8 text.
        public var bodyText: String { String(decoding: self.body, as: UTF8.self) }

        /// Every value of header `name` (case-insensitive), in order.
        public func headerValues(_ name: String) -> [String] {
            self.headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
        }

        /// The first value of header `name` (case-insensitive).
        public func header(_ name: String) -> String? { self.headerValues(name).first }

        /// The cookies of the `Cookie` header(s), in order (`name`, `value`).
        public var cookies: [(name: String, value: String)] {
            self.headerValues("Cookie").flatMap { line in
                line.split(separator: ";").compactMap { part -> (name: String, value: String)? in
                    let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    guard pair.count == 2 else { return nil }
                    return (String(pair[0]), String(pair[1]))
                }
            }
        }

        /// The value of cookie `name` in the `Cookie` header(s), if sent.
        public func cookie(_ name: String) -> String? {
            self.cookies.first { $0.name == name }?.value
        }
    }

    struct State {
        var port: Int?
        var requests: [Request] = []
        var webSocketConnections = 0
        var webSocketTexts: [String] = []
    }

    let state: NIOLockedValueBox<State>
    private let group: MultiThreadedEventLoopGroup
    private let serverChannel: NIOLockedValueBox<(any Channel)?>

    /// Creates a (not yet started) console.
    public init() {
        self.state = NIOLockedValueBox(State())
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.serverChannel = NIOLockedValueBox(nil)
    }

    /// Binds to `127.0.0.1` on an ephemeral port and starts serving.
    public func start() async throws {
        let bootstrap = ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.configureHTTPServerPipeline(
                        withPipeliningAssistance: true,
                        withServerUpgrade: (upgraders: [self.makeWebSocketUpgrader()], completionHandler: { _ in }),
                        withErrorHandling: true
                    )
                    try sync.addHandler(ConsoleDoubleHTTPHandler(console: self), name: ConsoleDoubleHTTPHandler.name)
                }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port
        self.serverChannel.withLockedValue { $0 = channel }
        self.state.withLockedValue { $0.port = port }
    }

    /// Stops the server and closes every connection (streams and WebSockets included).
    public func shutdown() async throws {
        let channel = self.serverChannel.withLockedValue { channel in
            defer { channel = nil }
            return channel
        }
        try? await channel?.close()
        try await self.group.shutdownGracefully()
    }

    // MARK: URLs

    /// The port it listens on. Traps before ``start()``.
    public var port: Int {
        guard let port = self.state.withLockedValue({ $0.port }) else {
            preconditionFailure("ConsoleDouble not started")
        }
        return port
    }

    /// `http://127.0.0.1:<port>`. Traps before ``start()``.
    public var baseURL: String { "http://127.0.0.1:\(self.port)" }

    /// ``baseURL`` followed by `path` (which starts with `/`).
    public func url(_ path: String) -> String { self.baseURL + path }

    // MARK: Recorded state

    /// Every request received since start (or ``reset()``), in arrival order of their ends.
    public var requests: [Request] { self.state.withLockedValue { $0.requests } }

    /// The most recent request.
    public var lastRequest: Request? { self.state.withLockedValue { $0.requests.last } }

    /// How many requests were received.
    public var requestCount: Int { self.state.withLockedValue { $0.requests.count } }

    /// The requests to `path` (query ignored).
    public func requests(path: String) -> [Request] {
        self.state.withLockedValue { $0.requests.filter { $0.path == path } }
    }

    /// How many WebSocket upgrades were completed.
    public var webSocketConnectionCount: Int { self.state.withLockedValue { $0.webSocketConnections } }

    /// The text frames received over WebSockets, in order.
    public var webSocketTexts: [String] { self.state.withLockedValue { $0.webSocketTexts } }

    /// Forgets every recorded request and WebSocket message.
    public func reset() {
        self.state.withLockedValue { state in
            state.requests = []
            state.webSocketConnections = 0
            state.webSocketTexts = []
        }
    }

    func record(_ request: Request) {
        self.state.withLockedValue { $0.requests.append(request) }
    }

    // MARK: Answers

    /// The identity document of the default endpoint.
    static func identityJSON(for request: Request) -> String {
        func optional(_ name: String) -> TokenJSON {
            request.header(name).map { .string($0) } ?? .null
        }
        let cookies = request.headerValues("Cookie")
        return TokenJSON.object([
            "login": optional("X-WEBAUTH-USER"),
            "path": .string(request.uri),
            "method": .string(request.method),
            "forwardedUser": optional("X-Forwarded-User"),
            "forwardedGroups": optional("X-Forwarded-Groups"),
            "forwardedEmail": optional("X-Forwarded-Email"),
            "roles": optional("x-proxy-roles"),
            "cookies": cookies.isEmpty ? .null : .string(cookies.joined(separator: "; ")),
            "authorization": .bool(request.header("Authorization") != nil),
        ]).jsonString
    }

    /// The value of query parameter `name` (percent-decoded), if present.
    static func queryValues(_ name: String, in request: Request) -> [String] {
        guard let query = request.query else { return [] }
        return query.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts[0] == name else { return nil }
            let raw = parts.count > 1 ? String(parts[1]) : ""
            return raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? raw
        }
    }
}
