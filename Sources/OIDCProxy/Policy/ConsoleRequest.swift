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

    let head: HTTPRequestHead
    let route: ConsoleRoute
    let connection: ConnectionInfo
    let path: Substring

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

    /// The request to send to the console as `identity`.
    func forwardedHead(as identity: ForwardedIdentity) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        headers.reserveCapacity(head.headers.count + 8)
        var forwardedFor = ForwardedForChain()
        var host: String?
        for (name, value) in head.headers {
            if HeaderNames.equals(name, lowercase: "x-forwarded-for") {
                forwardedFor.append(value)
                continue
            }
            if HeaderNames.equals(name, lowercase: "host") { host = value }
            if Self.identityHeaderNames.contains(where: { HeaderNames.equals(name, lowercase: $0) })
                || HeaderNames.hasPrefix(name, lowercasePrefix: "x-remote-") {
                continue
            }
            headers.add(name: name, value: value)
        }
        RequestCookies.removeCookies(matching: .proxyOwned, from: &headers)
        headers.add(name: "X-WEBAUTH-USER", value: identity.username)
        headers.add(name: "X-Forwarded-User", value: identity.username)
        if !identity.groups.isEmpty { headers.add(name: "X-Forwarded-Groups", value: identity.groups.joined(separator: ",")) }
        if !identity.roles.isEmpty { headers.add(name: "x-proxy-roles", value: identity.roles.joined(separator: ",")) }
        if let value = forwardedFor.value(addingClient: connection.remoteIP) {
            headers.add(name: "X-Forwarded-For", value: value)
        }
        let publicScheme = route.publicBaseURL.hasPrefix("https:") || connection.isTLS ? "https" : "http"
        headers.add(name: "X-Forwarded-Proto", value: publicScheme)
        if let host { headers.add(name: "X-Forwarded-Host", value: host) }
        return HTTPRequestHead(version: .http1_1, method: head.method, uri: route.upstreamBasePath + head.uri, headers: headers)
    }
}
