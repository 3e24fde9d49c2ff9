import Foundation

/// Keycloak's check of a redirect URI against a client's valid redirect URIs: an exact match, or a pattern ending
/// in `*` that the URI starts with (without the `*`). For `http` loopback hosts (`127.0.0.1`, `[::1]`, `localhost`)
/// the port is ignored on both sides (RFC 8252 §7.3: native apps listen on any free port), and a `:*` port in a
/// pattern means the same.
enum RedirectURIMatcher {
    /// Whether `uri` is allowed by one of `patterns`.
    static func matches(_ uri: String, patterns: [String]) -> Bool {
        guard !uri.isEmpty, !uri.contains("#") else {
            return false
        }
        let candidate = self.withoutLoopbackPort(uri)
        for pattern in patterns {
            let normalized = self.withoutLoopbackPort(pattern)
            if pattern == uri || normalized == candidate {
                return true
            }
            if normalized.hasSuffix("*"), candidate.hasPrefix(String(normalized.dropLast())) {
                return true
            }
        }
        return false
    }

    /// `uri` with the port removed when it is `http` to a loopback host (`:*` included); otherwise unchanged.
    static func withoutLoopbackPort(_ uri: String) -> String {
        for host in ["127.0.0.1", "[::1]", "localhost"] {
            let prefix = "http://" + host + ":"
            guard uri.lowercased().hasPrefix(prefix) else {
                continue
            }
            let rest = uri.dropFirst(prefix.count)
            let port = rest.prefix { $0.isNumber || $0 == "*" }
            guard !port.isEmpty else {
                return uri
            }
            return "http://" + host + rest.dropFirst(port.count)
        }
        return uri
    }
}
