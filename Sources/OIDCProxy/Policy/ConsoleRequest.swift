import NIOHTTP1
import ProxyCore
import ProxyFrontDoor

/// One request on its way to a console, with what the flows need to know about it.
struct ConsoleRequest: Sendable {
    /// Identity headers only the proxy may set; a client's own are removed.
    static let identityHeaderNames: [StaticString] = [
        "x-webauth-user", "x-forwarded-user", "x-forwarded-groups", "x-forwarded-email", "x-forwarded-preferred-username",
        "x-forwarded-access-token", "x-proxy-roles", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port",
        "authorization",
    ]

    /// The head as received (hop-by-hop fields removed): what is relayed.
    let received: RequestHead
    /// The same head as NIO's type, for the flows.
    let head: HTTPRequestHead
    let route: ConsoleRoute
    let connection: ConnectionInfo
    let path: Substring

    init(received: RequestHead, route: ConsoleRoute, connection: ConnectionInfo, path: Substring) {
        self.received = received
        self.head = received.httpRequestHead
        self.route = route
        self.connection = connection
        self.path = path
    }

    init(head: HTTPRequestHead, route: ConsoleRoute, connection: ConnectionInfo, path: Substring) {
        self.init(received: RequestHead(head), route: route, connection: connection, path: path)
    }

    /// Whether this is a browser opening a page (which may be sent to log in), rather than a script's request or
    /// an API client (which get 401).
    var isBrowserNavigation: Bool {
        guard head.method == .GET || head.method == .HEAD else { return false }
        let headers = head.headers
        if let mode = headers.first(name: "sec-fetch-mode"), mode.lowercased() != "navigate" { return false }
        if headers.first(name: "x-requested-with")?.lowercased() == "xmlhttprequest" { return false }
        return headers[canonicalForm: "accept"].contains { $0.lowercased().contains("text/html") }
    }

    /// The URL to come back to after a login: this request's path and query (a local path by construction),
    /// or `/` when it is too long to keep in the login cookie.
    var returnPath: String {
        let uri = head.uri
        guard uri.hasPrefix("/"), !uri.hasPrefix("//"), !uri.hasPrefix("/\\"), uri.utf8.count <= 2_048 else { return "/" }
        return uri
    }

    /// Client fields never relayed to a console: identity headers only the proxy sets, and the client's
    /// `Authorization` (and `Cookie` when it carries the proxy's own cookies: it is rewritten).
    private static let droppedFields = ClientFieldFilter(names: identityHeaderNames, prefixes: ["x-remote-"])
    private static let droppedFieldsAndCookie = ClientFieldFilter(names: identityHeaderNames + ["cookie"], prefixes: ["x-remote-"])

    /// The request to send to the console as `identity`: the browser's head relayed byte for byte, without the
    /// proxy's cookies and without identity headers a client may not set, with the proxy's identity headers.
    func forwardedHead(as identity: ForwardedIdentity) -> RelayedRequestHead {
        var added = HTTPHeaders()
        added.reserveCapacity(8)
        // The browser's cookies reach the console exactly as sent, except the proxy's own.
        var cookies = HTTPHeaders()
        received.forEachField { if $0.name.count == 6, $0.nameEquals("cookie") { cookies.add(name: "Cookie", value: $0.valueString) } }
        let cookiesRewritten = RequestCookies.removeCookies(matching: .proxyOwned, from: &cookies) > 0
        if cookiesRewritten { added.add(contentsOf: cookies) }
        added.add(name: "X-WEBAUTH-USER", value: identity.username)
        added.add(name: "X-Forwarded-User", value: identity.username)
        if !identity.groups.isEmpty { added.add(name: "X-Forwarded-Groups", value: identity.groups.joined(separator: ",")) }
        if !identity.roles.isEmpty { added.add(name: "x-proxy-roles", value: identity.roles.joined(separator: ",")) }
        let publicScheme = route.publicBaseURL.hasPrefix("https:") || connection.isTLS ? "https" : "http"
        added.add(name: "X-Forwarded-Proto", value: publicScheme)
        if let host = received.firstValue(named: "host") { added.add(name: "X-Forwarded-Host", value: host) }
        return RelayedRequestHead(client: received, targetPrefix: route.upstreamBasePath,
                                  filter: cookiesRewritten ? Self.droppedFieldsAndCookie : Self.droppedFields,
                                  forwardedFor: .merged(appending: connection.remoteIP), addedFields: added)
    }
}
