public import NIOHTTP1

/// The rules of RFC 9110 §7.6.1 for headers that belong to one connection and must not be forwarded.
///
/// A proxy removes the fixed hop-by-hop headers and every header named in a `Connection` header.
/// Upgrade requests keep `Connection: Upgrade` and `Upgrade`, which the next hop needs to switch protocols.
public enum HopByHopHeaders {
    /// The header names that are always connection-specific (lower case).
    static let fixedNames: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "proxy-authenticate", "proxy-authorization",
    ]

    /// Whether the head asks to switch protocols (`Connection: upgrade` together with an `Upgrade` header).
    public static func isUpgradeRequest(_ headers: HTTPHeaders) -> Bool {
        headers.contains(name: "upgrade") && headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
    }

    /// Removes hop-by-hop headers from `headers`.
    ///
    /// - Parameters:
    ///   - headers: the headers to clean, in place.
    ///   - keepUpgrade: keep `Connection: Upgrade` and `Upgrade` (for a protocol switch).
    /// - Returns: whether the message body was sent with chunked transfer coding.
    @discardableResult
    public static func strip(_ headers: inout HTTPHeaders, keepUpgrade: Bool) -> Bool {
        var chunked = false
        var listed: [String] = []
        for value in headers[canonicalForm: "connection"] {
            let name = value.lowercased()
            if !fixedNames.contains(name) { listed.append(name) }
        }
        for value in headers[canonicalForm: "transfer-encoding"] where value.lowercased() == "chunked" {
            chunked = true
        }
        let upgrade = keepUpgrade ? headers["upgrade"] : []
        if !listed.isEmpty || headers.contains(where: { fixedNames.contains($0.name.lowercased()) }) {
            for name in fixedNames { headers.remove(name: name) }
            for name in listed { headers.remove(name: name) }
        }
        if keepUpgrade && !upgrade.isEmpty {
            headers.add(name: "Connection", value: "Upgrade")
            for value in upgrade { headers.add(name: "Upgrade", value: value) }
        }
        return chunked
    }
}
