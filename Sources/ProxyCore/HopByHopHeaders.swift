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
        // Fast path, the common case: scan once, without allocating, for anything hop-by-hop.
        var needsWork = false
        for (name, _) in headers where isFixedHopByHop(name) {
            needsWork = true
            break
        }
        guard needsWork else { return false }

        var chunked = false
        var present: [String] = []
        var upgrade: [String] = []
        for (name, value) in headers where isFixedHopByHop(name) {
            if HeaderNames.equals(name, lowercase: "connection") {
                for token in value.split(separator: ",") {
                    let token = token.trimmingSpaces().lowercased()
                    if !token.isEmpty && !fixedNames.contains(token) && !present.contains(token) { present.append(token) }
                }
            } else if HeaderNames.equals(name, lowercase: "transfer-encoding") {
                if value.lowercased().contains("chunked") { chunked = true }
            } else if keepUpgrade && HeaderNames.equals(name, lowercase: "upgrade") {
                upgrade.append(value)
            }
            let lowered = name.lowercased()
            if !present.contains(lowered) { present.append(lowered) }
        }
        // Removal in place keeps the end-to-end headers as they are, without rebuilding (and revalidating) them all.
        for name in present { headers.remove(name: name) }
        if keepUpgrade && !upgrade.isEmpty {
            headers.add(name: "Connection", value: "Upgrade")
            for value in upgrade { headers.add(name: "Upgrade", value: value) }
        }
        return chunked
    }

    private static func isFixedHopByHop(_ name: String) -> Bool {
        switch name.utf8.count {
        case 2: return HeaderNames.equals(name, lowercase: "te")
        case 7: return HeaderNames.equals(name, lowercase: "trailer") || HeaderNames.equals(name, lowercase: "upgrade")
        case 10: return HeaderNames.equals(name, lowercase: "connection") || HeaderNames.equals(name, lowercase: "keep-alive")
        case 16: return HeaderNames.equals(name, lowercase: "proxy-connection")
        case 17: return HeaderNames.equals(name, lowercase: "transfer-encoding")
        case 18: return HeaderNames.equals(name, lowercase: "proxy-authenticate")
        case 19: return HeaderNames.equals(name, lowercase: "proxy-authorization")
        default: return false
        }
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var result = self
        while result.first == " " || result.first == "\t" { result.removeFirst() }
        while result.last == " " || result.last == "\t" { result.removeLast() }
        return result
    }
}
