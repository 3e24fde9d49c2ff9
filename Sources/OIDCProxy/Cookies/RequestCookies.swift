public import NIOHTTP1

/// The cookies a request carries, parsed from all its `Cookie` header lines.
///
/// The syntax is RFC 6265 §4.2 / §5.4, read the way browsers write it: pairs separated by `;` with optional
/// spaces or tabs around them and around `=`, a value optionally enclosed in double quotes (which are removed).
/// Segments without `=` or with an empty name are skipped. Several `Cookie` lines (as HTTP/2 clients send) are
/// read in order as if joined with `; `.
///
/// Lookups are exact and case-sensitive, byte for byte (no Unicode normalization), and the **first** occurrence
/// of a name wins, as browsers send the most specific path first.
///
/// Parsing is bounded for hostile input: at most ``maximumCount`` pairs and ``maximumHeaderBytes`` bytes of
/// `Cookie` header text are read; anything beyond is ignored (a pair cut by the byte bound is dropped whole).
/// Parsing and every lookup are linear in the input; values are kept as slices of the header strings.
public struct RequestCookies: Sendable {
    /// The default bound on the number of pairs read (browsers keep at most about 180 per domain).
    public static let defaultMaximumCount = 256
    /// The default bound on the `Cookie` header bytes read, all lines together.
    public static let defaultMaximumHeaderBytes = 64 * 1024

    private struct Pair: Sendable {
        var name: Substring
        var value: Substring
    }

    private var pairs: [Pair]

    /// The bound on the number of pairs this value was parsed with.
    public let maximumCount: Int
    /// The bound on the header bytes this value was parsed with.
    public let maximumHeaderBytes: Int

    /// Parses the `Cookie` header lines of `headers` (header name matched case-insensitively).
    ///
    /// - Parameters:
    ///   - headers: the request headers.
    ///   - maximumCount: pairs beyond this many are ignored.
    ///   - maximumHeaderBytes: header bytes beyond this many (all lines together) are ignored.
    public init(headers: HTTPHeaders, maximumCount: Int = RequestCookies.defaultMaximumCount,
                maximumHeaderBytes: Int = RequestCookies.defaultMaximumHeaderBytes) {
        self.init(headerValues: headers["Cookie"], maximumCount: maximumCount, maximumHeaderBytes: maximumHeaderBytes)
    }

    /// Parses `Cookie` header values, in order.
    ///
    /// - Parameters:
    ///   - headerValues: the values of the request's `Cookie` header lines.
    ///   - maximumCount: pairs beyond this many are ignored.
    ///   - maximumHeaderBytes: header bytes beyond this many (all values together) are ignored.
    public init(headerValues: some Sequence<String>, maximumCount: Int = RequestCookies.defaultMaximumCount,
                maximumHeaderBytes: Int = RequestCookies.defaultMaximumHeaderBytes) {
        self.maximumCount = max(0, maximumCount)
        self.maximumHeaderBytes = max(0, maximumHeaderBytes)
        self.pairs = []
        var remainingBytes = self.maximumHeaderBytes
        lines: for line in headerValues {
            guard remainingBytes > 0, self.pairs.count < self.maximumCount else { break }
            let utf8 = line.utf8
            let limit = utf8.index(utf8.startIndex, offsetBy: remainingBytes, limitedBy: utf8.endIndex) ?? utf8.endIndex
            remainingBytes -= utf8.distance(from: utf8.startIndex, to: limit)
            let complete = limit == utf8.endIndex
            var stop = false
            Self.forEachSegment(of: line, upTo: limit, includingUnterminatedLast: complete) { segment in
                guard let (name, value) = Self.split(segment) else { return true }
                self.pairs.append(Pair(name: name, value: Self.unquoted(value)))
                if self.pairs.count >= self.maximumCount {
                    stop = true
                    return false
                }
                return true
            }
            if stop || !complete { break lines }
        }
    }

    /// The number of pairs read, duplicates included.
    public var count: Int {
        self.pairs.count
    }

    /// Whether the request carries no (readable) cookie.
    public var isEmpty: Bool {
        self.pairs.isEmpty
    }

    /// The value of the first cookie named exactly `name`, without enclosing double quotes; `nil` if none.
    public subscript(name: String) -> String? {
        self.firstValue(named: name).map(String.init)
    }

    /// Whether a cookie named exactly `name` is present.
    public func contains(_ name: String) -> Bool {
        self.firstValue(named: name) != nil
    }

    /// The distinct names that start with `prefix` (byte for byte), in order of first appearance.
    public func names(withPrefix prefix: String) -> [String] {
        // Byte arrays, not `Substring`s, as set members: `Substring` equality is Unicode canonical equivalence.
        var seen = Set<[UInt8]>()
        var result: [String] = []
        for pair in self.pairs where pair.name.utf8.starts(with: prefix.utf8) {
            if seen.insert(Array(pair.name.utf8)).inserted {
                result.append(String(pair.name))
            }
        }
        return result
    }

    /// The value of the first cookie named exactly `name`, as a slice of the header.
    func firstValue(named name: String) -> Substring? {
        for pair in self.pairs where pair.name.utf8.elementsEqual(name.utf8) {
            return pair.value
        }
        return nil
    }

    /// Calls `body` with each pair whose name starts with `prefix`, duplicates included, in order.
    func forEachPair(withPrefix prefix: String, _ body: (_ name: Substring, _ value: Substring) -> Void) {
        for pair in self.pairs where pair.name.utf8.starts(with: prefix.utf8) {
            body(pair.name, pair.value)
        }
    }
}

extension RequestCookies {
    /// Calls `body` with each `;`-separated segment of `line` before `limit`, trimmed of spaces and tabs, skipping
    /// empty ones, until `body` returns `false`. The text after the last `;` is a segment only when
    /// `includingUnterminatedLast` (it may have been cut by a bound otherwise).
    ///
    /// Scans the string's contiguous UTF-8 bytes (a cookie header runs to kilobytes and is read up to three times
    /// per request); segments are handed out as slices of `line`.
    static func forEachSegment(of line: String, upTo limit: String.UTF8View.Index, includingUnterminatedLast: Bool,
                               _ body: (Substring) -> Bool) {
        let utf8 = line.utf8
        let end = utf8.distance(from: utf8.startIndex, to: limit)
        let scanned: Void? = utf8.withContiguousStorageIfAvailable { bytes in
            /// `body` for the trimmed `bytes[lower..<upper]`, if anything remains; `false` to stop.
            func emit(_ lower: Int, _ upper: Int) -> Bool {
                var lower = lower
                var upper = upper
                while lower < upper, CookieSyntax.isWhitespace(bytes[lower]) { lower += 1 }
                while upper > lower, CookieSyntax.isWhitespace(bytes[upper - 1]) { upper -= 1 }
                guard lower < upper else { return true }
                let first = utf8.index(utf8.startIndex, offsetBy: lower)
                return body(Substring(utf8[first..<utf8.index(first, offsetBy: upper - lower)]))
            }
            var segmentStart = 0
            var index = 0
            while index < end {
                if bytes[index] == UInt8(ascii: ";") {
                    guard emit(segmentStart, index) else { return }
                    segmentStart = index + 1
                }
                index += 1
            }
            if includingUnterminatedLast {
                _ = emit(segmentStart, end)
            }
        }
        if scanned == nil {
            // Not contiguous UTF-8 (a bridged string): scan a native copy, at the same byte offset.
            var native = line
            native.makeContiguousUTF8()
            let nativeLimit = native.utf8.index(native.utf8.startIndex, offsetBy: end)
            self.forEachSegment(of: native, upTo: nativeLimit, includingUnterminatedLast: includingUnterminatedLast, body)
        }
    }

    /// Splits a trimmed segment at its first `=` into a trimmed name and value; `nil` without `=` or with an
    /// empty name.
    static func split(_ segment: Substring) -> (name: Substring, value: Substring)? {
        let utf8 = segment.utf8
        guard let equals = utf8.firstIndex(of: UInt8(ascii: "=")) else { return nil }
        var nameEnd = equals
        while nameEnd > utf8.startIndex, CookieSyntax.isWhitespace(utf8[utf8.index(before: nameEnd)]) {
            nameEnd = utf8.index(before: nameEnd)
        }
        guard nameEnd > utf8.startIndex else { return nil }
        var valueStart = utf8.index(after: equals)
        while valueStart < utf8.endIndex, CookieSyntax.isWhitespace(utf8[valueStart]) {
            valueStart = utf8.index(after: valueStart)
        }
        return (Substring(utf8[utf8.startIndex..<nameEnd]), Substring(utf8[valueStart..<utf8.endIndex]))
    }

    /// `value` without one pair of enclosing double quotes, if it has them.
    private static func unquoted(_ value: Substring) -> Substring {
        let utf8 = value.utf8
        guard utf8.count >= 2, utf8.first == UInt8(ascii: "\""), utf8.last == UInt8(ascii: "\"") else { return value }
        return Substring(utf8[utf8.index(after: utf8.startIndex)..<utf8.index(before: utf8.endIndex)])
    }
}
