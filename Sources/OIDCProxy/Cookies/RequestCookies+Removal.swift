public import NIOHTTP1

extension RequestCookies {
    /// Removes the cookies whose names match `filter` from the `Cookie` header lines of `headers`.
    ///
    /// Used before forwarding to a console: the proxy's own cookies (``CookieNameFilter/proxyOwned``) must not
    /// reach it, and every other cookie must arrive exactly as the browser sent it.
    ///
    /// - When no cookie matches, `headers` is left untouched (all lines, in place).
    /// - Otherwise all `Cookie` lines are replaced by one line holding the remaining pairs, in order, each
    ///   byte-for-byte as sent (quotes and inner spacing kept), joined with `; `; empty segments are dropped.
    /// - When nothing remains, the `Cookie` header is removed entirely.
    ///
    /// Unlike parsing, this reads every byte of every line (no bound: a cookie to remove must never slip through
    /// behind a bound); it is linear in the header size.
    ///
    /// - Returns: the number of pairs removed.
    @discardableResult
    public static func removeCookies(matching filter: CookieNameFilter, from headers: inout HTTPHeaders) -> Int {
        let lines = headers["Cookie"]
        guard !lines.isEmpty else { return 0 }

        var removed = 0
        for line in lines {
            Self.forEachSegment(of: line, upTo: line.utf8.endIndex, includingUnterminatedLast: true) { segment in
                if let (name, _) = Self.split(segment), filter.matches(name) {
                    removed += 1
                }
                return true
            }
        }
        guard removed > 0 else { return 0 }

        var kept = ""
        for line in lines {
            Self.forEachSegment(of: line, upTo: line.utf8.endIndex, includingUnterminatedLast: true) { segment in
                if let (name, _) = Self.split(segment), filter.matches(name) {
                    return true
                }
                if !kept.isEmpty {
                    kept += "; "
                }
                kept.append(contentsOf: segment)
                return true
            }
        }
        headers.remove(name: "Cookie")
        if !kept.isEmpty {
            headers.add(name: "Cookie", value: kept)
        }
        return removed
    }
}
