import ProxyCore

/// Finds the route for a request's `Host`.
public struct RouteTable: Sendable {
    private let routesByHost: [String: ConsoleRoute]
    private let fallback: ConsoleRoute?

    /// Creates a table from sidecar mode's one route (`host == nil`) and/or host routes.
    ///
    /// - Throws: ``OIDCProxyConfigurationError`` for two routes with the same host, two host-less routes, or none.
    public init(_ routes: [ConsoleRoute]) throws(OIDCProxyConfigurationError) {
        var byHost: [String: ConsoleRoute] = [:]
        var fallback: ConsoleRoute?
        for route in routes {
            if let host = route.host {
                guard byHost[host] == nil else { throw OIDCProxyConfigurationError("two routes for host \(host)") }
                byHost[host] = route
            } else {
                guard fallback == nil else { throw OIDCProxyConfigurationError("more than one upstream without a host") }
                fallback = route
            }
        }
        guard !byHost.isEmpty || fallback != nil else {
            throw OIDCProxyConfigurationError("no upstream: give --upstream or at least one --route")
        }
        self.routesByHost = byHost
        self.fallback = fallback
    }

    /// Every route (for readiness and logs).
    public var all: [ConsoleRoute] { Array(routesByHost.values) + (fallback.map { [$0] } ?? []) }

    /// The route for a `Host` header value (port ignored, case-insensitive); the host-less route when no host
    /// route matches; `nil` when there is neither.
    public func route(forHost hostHeader: String?) -> ConsoleRoute? {
        if !routesByHost.isEmpty, let hostHeader, let host = Self.hostName(hostHeader), let route = routesByHost[host] {
            return route
        }
        return fallback
    }

    /// Whether `host` is a plausible DNS host name for a route (letters, digits, `-`, `.`; no port).
    public static func isValidHostName(_ host: String) -> Bool {
        !host.isEmpty && host.utf8.count <= 253 && host.utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }
    }

    /// `Example.COM:8443` → `example.com`; `[::1]:80` → `[::1]`; `nil` for an empty or malformed value.
    static func hostName(_ value: String) -> String? {
        var host = Substring(value)
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            host = host[...close]
        } else if let colon = host.firstIndex(of: ":") {
            host = host[..<colon]
        }
        guard !host.isEmpty, host.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        return host.lowercased()
    }
}
