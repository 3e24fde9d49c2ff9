// libFuzzer target: OIDCProxy's request cookie parser, the removal of the proxy's own cookies, chunked cookies.
//
// Input layout:
//   byte 0      a pair bound for a bounded parse (0 ... 255)
//   byte 1      a byte bound for a bounded parse (0 ... 255, times 4)
//   the rest    `Cookie` header values, one per line (split at LF); invalid UTF-8 is repaired as HTTP headers
//               would be. A line starting with `!` is an `X-Other` header instead (it must survive removal).
//
// A reference reading of the documented syntax (RFC 6265 §5.4 as browsers write it: `;`-separated segments trimmed
// of spaces and tabs, split at the first `=`, name and value trimmed, empty names and segments without `=` skipped,
// one pair of enclosing quotes removed from values) is computed on bytes. Invariants checked (a violation traps,
// which libFuzzer reports as a crash):
// - parsing agrees with the reference: pair count, distinct names in order of first appearance, the first value of
//   each name byte for byte; lookups are exact (no Unicode normalisation);
// - a bounded parse reads exactly the reference's pairs that fit the bounds, as the doc comment describes;
// - removing the proxy-owned cookies (`vz_authn*`, `vz_state`, `vz_userinfo`) returns how many pairs matched,
//   leaves the headers untouched when none did, otherwise leaves one `Cookie` line (or none) whose segments are
//   every other segment byte for byte in order, so that parsing it again finds none of the proxy's cookies and
//   every other pair byte for byte in order; other headers are kept;
// - a chunked session cookie read back is the concatenation of its pieces byte for byte; a value written with
//   `ChunkedCookie.setCookies` reads back unchanged.
import NIOHTTP1
import OIDCProxy

func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        fatalError("invariant violated: \(message())")
    }
}

struct Pair: Equatable {
    var name: [UInt8]
    /// The value as sent (quotes kept).
    var raw: [UInt8]
    var value: [UInt8] {
        raw.count >= 2 && raw.first == UInt8(ascii: "\"") && raw.last == UInt8(ascii: "\"") ? Array(raw.dropFirst().dropLast()) : raw
    }
}

func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    var lower = bytes.startIndex
    var upper = bytes.endIndex
    while lower < upper, isWhitespace(bytes[lower]) { lower += 1 }
    while upper > lower, isWhitespace(bytes[upper - 1]) { upper -= 1 }
    return bytes[lower..<upper]
}

/// The non-empty trimmed segments of `line` up to `limit` bytes, the last one only if the line ended within it.
func segments(_ line: [UInt8], limit: Int) -> [ArraySlice<UInt8>] {
    let end = min(line.count, limit)
    var result: [ArraySlice<UInt8>] = []
    var start = 0
    for index in 0..<end where line[index] == UInt8(ascii: ";") {
        result.append(trimmed(line[start..<index]))
        start = index + 1
    }
    if end == line.count { result.append(trimmed(line[start..<end])) }
    return result.filter { !$0.isEmpty }
}

func pair(_ segment: ArraySlice<UInt8>) -> Pair? {
    guard let equals = segment.firstIndex(of: UInt8(ascii: "=")) else { return nil }
    let name = trimmed(segment[segment.startIndex..<equals])
    guard !name.isEmpty, name.startIndex == segment.startIndex else { return nil }
    return Pair(name: Array(name), raw: Array(trimmed(segment[(equals + 1)...])))
}

/// The reference reading of `lines` within the bounds.
func reference(_ lines: [String], maximumCount: Int = .max, maximumBytes: Int = .max) -> [Pair] {
    var pairs: [Pair] = []
    var remaining = maximumBytes
    for line in lines {
        guard remaining > 0, pairs.count < maximumCount else { break }
        let bytes = Array(line.utf8)
        let limit = min(bytes.count, remaining)
        remaining -= limit
        for segment in segments(bytes, limit: limit) {
            guard let pair = pair(segment) else { continue }
            pairs.append(pair)
            if pairs.count >= maximumCount { return pairs }
        }
        if limit < bytes.count { break }
    }
    return pairs
}

func distinctNames(_ pairs: [Pair]) -> [[UInt8]] {
    var seen = Set<[UInt8]>()
    return pairs.map(\.name).filter { seen.insert($0).inserted }
}

/// Checks `cookies` against the reference pairs it should hold.
func agree(_ cookies: RequestCookies, _ pairs: [Pair], _ what: String) {
    check(cookies.count == pairs.count, "\(what): \(cookies.count) pairs, the reference has \(pairs.count)")
    let names = distinctNames(pairs)
    check(cookies.names(withPrefix: "").map { Array($0.utf8) } == names, "\(what): names differ from the reference")
    for name in names {
        let text = String(decoding: name, as: UTF8.self)
        let expected = pairs.first { $0.name == name }!.value
        check(cookies[text].map { Array($0.utf8) } == expected, "\(what): value of \(text) differs from the reference")
        check(cookies.contains(text), "\(what): contains(\(text))")
    }
}

let proxyOwned = CookieNameFilter.proxyOwned

func isProxyOwned(_ name: [UInt8]) -> Bool {
    name.starts(with: Array("vz_authn".utf8)) || name == Array("vz_state".utf8) || name == Array("vz_userinfo".utf8)
}

func checkRemoval(_ lines: [String], others: [String], pairs: [Pair]) {
    var headers = HTTPHeaders()
    for line in lines { headers.add(name: "Cookie", value: line) }
    for other in others { headers.add(name: "X-Other", value: other) }
    let before = headers.map { "\($0.name): \($0.value)" }

    let removed = RequestCookies.removeCookies(matching: proxyOwned, from: &headers)
    let owned = lines.flatMap { segments(Array($0.utf8), limit: .max).compactMap(pair) }.filter { isProxyOwned($0.name) }
    check(removed == owned.count, "removeCookies says \(removed) removed, the reference finds \(owned.count)")
    check(headers["X-Other"] == others, "other headers changed")
    if removed == 0 {
        check(headers.map { "\($0.name): \($0.value)" } == before, "headers changed though no cookie was removed")
        return
    }
    let remaining = headers["Cookie"]
    check(remaining.count <= 1, "\(remaining.count) Cookie lines after removal")
    // Every segment that is not a proxy-owned pair, byte for byte, in order.
    let kept = lines.flatMap { segments(Array($0.utf8), limit: .max) }.filter { pair($0).map { !isProxyOwned($0.name) } ?? true }
    let after = remaining.first.map { segments(Array($0.utf8), limit: .max) } ?? []
    check(after.map(Array.init) == kept.map(Array.init), "segments kept differ from the segments sent")
    check(remaining.first.map { !$0.isEmpty } ?? true, "an empty Cookie line left")

    let reparsed = RequestCookies(headers: headers, maximumCount: .max, maximumHeaderBytes: .max)
    let expected = pairs.filter { !isProxyOwned($0.name) }
    agree(reparsed, expected, "after removal")
    check(reparsed.names(withPrefix: "").allSatisfy { !proxyOwned.matches($0) }, "a proxy cookie survived removal")
    check(RequestCookies.removeCookies(matching: proxyOwned, from: &headers) == 0, "removal is not idempotent")
}

func checkChunked(_ cookies: RequestCookies, _ pairs: [Pair]) {
    let scheme = try! ChunkedCookie(name: "vz_authn")
    func first(_ name: String) -> [UInt8]? { pairs.first { $0.name == Array(name.utf8) }?.value }
    switch scheme.value(in: cookies) {
    case .absent:
        check(first("vz_authn") == nil, "session cookie present but read as absent")
    case .valid(let value):
        guard let head = first("vz_authn") else {
            check(false, "a chunked value without its first cookie")
            return
        }
        var expected = head
        if head.count >= 2 && head[1] == UInt8(ascii: ".") {
            let count = Int(head[0]) - 0x30
            expected = Array(head.dropFirst(2))
            for index in 1..<count { expected += first("vz_authn_\(index)") ?? [] }
        }
        check(Array(value.utf8) == expected, "chunked value is not its pieces joined: \(Array(value.utf8)) / \(expected)")
    case .rejected:
        break
    }
}

/// Writes `value` with `ChunkedCookie.setCookies` and reads it back.
func checkChunkRoundTrip(_ seed: [UInt8]) {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    guard let first = seed.first else { return }
    // Long values are what chunking is for: repeat the seed's letters up to a length the first byte picks.
    let length = Int(first) * 64
    let value = String(decoding: (0..<length).map { alphabet[Int(seed[$0 % seed.count]) % 64] }, as: UTF8.self)
    let scheme = try! ChunkedCookie(name: "vz_authn")
    let stale = RequestCookies(headerValues: ["vz_authn_7=old; vz_authn_8=old"])
    let written: [SetCookie]
    do throws(CookieError) {
        written = try scheme.setCookies(for: value, attributes: .secureDefaults, replacing: stale)
    } catch {
        check(length > 3_900 * 8, "a \(length)-byte value refused: \(error)")
        return
    }
    let live = written.filter { !$0.isDeletion }
    let deleted = written.filter(\.isDeletion).map(\.name)
    check(live.map(\.name) == (0..<live.count).map(scheme.chunkName), "chunks written out of order")
    check(deleted == ["vz_authn_7", "vz_authn_8"].filter { name in !live.contains { $0.name == name } },
          "stale chunks deleted: \(deleted)")
    check(live.allSatisfy { $0.headerValue.utf8.count <= ChunkedCookie.maximumSetCookieLength }, "a Set-Cookie too long")
    let request = RequestCookies(headerValues: [live.map { "\($0.name)=\($0.value)" }.joined(separator: "; ")])
    check(scheme.value(in: request).value.map { Array($0.utf8) } == Array(value.utf8) || value.isEmpty,
          "a chunked value does not read back")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count >= 2 else { return 0 }
    let data = Array(UnsafeRawBufferPointer(start: start, count: count))
    let maximumCount = Int(data[0])
    let maximumBytes = Int(data[1]) * 4
    var lines: [String] = []
    var others: [String] = []
    for line in data[2...].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
        if line.first == UInt8(ascii: "!") {
            others.append(String(decoding: line.dropFirst(), as: UTF8.self))
        } else {
            lines.append(String(decoding: line, as: UTF8.self))
        }
    }

    let pairs = reference(lines)
    let cookies = RequestCookies(headerValues: lines, maximumCount: .max, maximumHeaderBytes: .max)
    agree(cookies, pairs, "unbounded")
    var headers = HTTPHeaders()
    for line in lines { headers.add(name: "Cookie", value: line) }
    agree(RequestCookies(headers: headers, maximumCount: .max, maximumHeaderBytes: .max), pairs, "from headers")

    let bounded = RequestCookies(headerValues: lines, maximumCount: maximumCount, maximumHeaderBytes: maximumBytes)
    check(bounded.count <= maximumCount, "more pairs than the bound")
    agree(bounded, reference(lines, maximumCount: maximumCount, maximumBytes: maximumBytes), "bounded")
    let defaults = RequestCookies(headerValues: lines)
    agree(defaults, reference(lines, maximumCount: RequestCookies.defaultMaximumCount,
                              maximumBytes: RequestCookies.defaultMaximumHeaderBytes), "default bounds")

    checkRemoval(lines, others: others, pairs: pairs)
    checkChunked(cookies, pairs)
    checkChunkRoundTrip(Array(data[2...]))
    return 0
}
