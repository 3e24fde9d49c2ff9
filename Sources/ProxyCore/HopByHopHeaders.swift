public import NIOHTTP1

/// The rules of RFC 9110 §7.6.1 for headers that belong to one connection and must not be forwarded.
///
/// A proxy removes the fixed hop-by-hop headers and every header named in a `Connection` header.
/// Upgrade requests keep `Connection: Upgrade` and `Upgrade`, which the next hop needs to switch protocols.
public enum HopByHopHeaders {
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

        // The fixed names present are kept as bits (no lower-cased copies); a name listed in `Connection` that is
        // not a fixed one is rare and collected separately.
        var chunked = false
        var fixedPresent: UInt16 = 0
        var listed: [String] = []
        var upgrade: [String] = []
        for (name, value) in headers {
            guard let index = fixedIndex(name) else { continue }
            fixedPresent |= 1 << index
            if index == connectionIndex {
                for token in value.split(separator: ",") {
                    let token = token.trimmingSpaces()
                    // `close` and `keep-alive` are connection options; fixed names are removed anyway.
                    if token.isEmpty || fixedIndex(String(token)) != nil || HeaderNames.equals(String(token), lowercase: "close") { continue }
                    let lowered = token.lowercased()
                    if !listed.contains(lowered) { listed.append(lowered) }
                }
            } else if index == transferEncodingIndex {
                if value.utf8.count >= 7 && value.lowercased().contains("chunked") { chunked = true }
            } else if keepUpgrade && index == upgradeIndex {
                upgrade.append(value)
            }
        }
        // Removal in place keeps the end-to-end headers as they are, without rebuilding (and revalidating) them all.
        for (index, name) in fixedOrder.enumerated() where fixedPresent & (1 << index) != 0 {
            headers.remove(name: name)
        }
        for name in listed { headers.remove(name: name) }
        if keepUpgrade && !upgrade.isEmpty {
            headers.add(name: "Connection", value: "Upgrade")
            for value in upgrade { headers.add(name: "Upgrade", value: value) }
        }
        return chunked
    }

    private static func isFixedHopByHop(_ name: String) -> Bool {
        fixedIndex(name) != nil
    }

    /// The header names that are always connection-specific (lower case), in the order of ``fixedIndex(_:)``.
    private static let fixedOrder = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "proxy-authenticate", "proxy-authorization",
    ]
    private static let connectionIndex = 0
    private static let transferEncodingIndex = 5
    private static let upgradeIndex = 6

    /// The position of `name` in ``fixedOrder`` ignoring ASCII case, or nil when it is not a fixed hop-by-hop name.
    private static func fixedIndex(_ name: String) -> Int? {
        switch name.utf8.count {
        case 2: return HeaderNames.equals(name, lowercase: "te") ? 3 : nil
        case 7:
            if HeaderNames.equals(name, lowercase: "trailer") { return 4 }
            return HeaderNames.equals(name, lowercase: "upgrade") ? 6 : nil
        case 10:
            if HeaderNames.equals(name, lowercase: "connection") { return 0 }
            return HeaderNames.equals(name, lowercase: "keep-alive") ? 1 : nil
        case 16: return HeaderNames.equals(name, lowercase: "proxy-connection") ? 2 : nil
        case 17: return HeaderNames.equals(name, lowercase: "transfer-encoding") ? 5 : nil
        case 18: return HeaderNames.equals(name, lowercase: "proxy-authenticate") ? 7 : nil
        case 19: return HeaderNames.equals(name, lowercase: "proxy-authorization") ? 8 : nil
        default: return nil
        }
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (optional whitespace, RFC 9110 §5.6.3).
    func trimmingSpaces() -> Substring {
        var result = self
        while result.first == " " || result.first == "\t" { result.removeFirst() }
        while result.last == " " || result.last == "\t" { result.removeLast() }
        return result
    }
}
