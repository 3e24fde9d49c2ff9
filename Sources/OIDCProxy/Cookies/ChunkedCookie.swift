import OIDC
public import Foundation

/// Splits a long cookie value over several cookies so that no `Set-Cookie` header exceeds
/// ``maximumSetCookieLength`` bytes, and reassembles it from a request.
///
/// ## Scheme
/// For the name `vz_authn`:
/// - If `vz_authn=<value>` with its attributes fits in one `Set-Cookie` header of at most 4,000 bytes, the value
///   is sent whole in `vz_authn`.
/// - Otherwise it is cut into `N` pieces (2 ≤ `N` ≤ ``maximumChunks``), filled greedily in order:
///   `vz_authn=<N>.<piece 0>`, `vz_authn_1=<piece 1>`, ..., `vz_authn_<N-1>=<piece N-1>`. The single digit and
///   the dot tell the reader how many cookies to collect; values must therefore be base64url (no `.`), which
///   sealed values are.
///
/// Reading accepts exactly that shape: the count in range, every chunk `1 ..< N` present and non-empty, no chunk
/// numbered `N` or above (nor any chunk beside an unchunked value), no chunk without the first cookie. Anything
/// else is ``CookieRejection/malformed``. Chunks swapped or mixed from two writes reassemble to a value whose
/// authentication tag fails when it is opened (``CookieRejection/tampered``).
///
/// Writing deletes chunks the request carried beyond the new count, so a shrinking value leaves nothing stale.
/// A chunk name is the base name, `_` and a decimal index without leading zero (`vz_authn_1` ... `vz_authn_8`).
public struct ChunkedCookie: Sendable, Hashable {
    /// The longest `Set-Cookie` header value written, in bytes (`name=value` and all attributes). Browsers keep
    /// at least 4,096 bytes per cookie (RFC 6265 §6.1); the margin covers differences in how they count.
    public static let maximumSetCookieLength = 4_000
    /// The default bound on the number of cookies one value may use.
    public static let defaultMaximumChunks = 8

    /// The base name; chunks are named `<name>_1`, `<name>_2`, ...
    public let name: String
    /// The most cookies one value may use, 1 ... 9 (1 disables chunking).
    public let maximumChunks: Int

    /// Creates a chunking scheme.
    ///
    /// - Throws: ``CookieError/invalidName`` when `name` is not an HTTP token,
    ///   ``CookieError/invalidConfiguration`` when `maximumChunks` is not in 1 ... 9.
    public init(name: String, maximumChunks: Int = ChunkedCookie.defaultMaximumChunks) throws(CookieError) {
        guard CookieSyntax.isToken(name) else { throw .invalidName }
        guard (1...9).contains(maximumChunks) else {
            throw CookieError.invalidConfiguration.with(message: "the number of cookie chunks must be 1 ... 9")
        }
        self.name = name
        self.maximumChunks = maximumChunks
    }

    /// The cookie name of chunk `index`: the base name for 0, `<name>_<index>` otherwise.
    public func chunkName(_ index: Int) -> String {
        index == 0 ? self.name : "\(self.name)_\(index)"
    }

    /// The `Set-Cookie` headers that store `value`, followed by deletions of the request's chunks that the new
    /// value no longer uses.
    ///
    /// - Parameters:
    ///   - value: base64url characters only.
    ///   - attributes: `Path`, `Domain`, `Secure`, `SameSite` of every chunk.
    ///   - httpOnly: whether the chunks are hidden from JavaScript.
    ///   - maxAge: `Max-Age` of every chunk.
    ///   - expires: `Expires` of every chunk.
    ///   - present: the request's cookies, to find stale chunks.
    /// - Throws: ``CookieError/invalidValue`` for a character outside base64url, ``CookieError/valueTooLarge``
    ///   when more than ``maximumChunks`` cookies would be needed.
    public func setCookies(for value: String, attributes: CookieAttributes, httpOnly: Bool = true,
                           maxAge: Int? = nil, expires: Date? = nil,
                           replacing present: RequestCookies) throws(CookieError) -> [SetCookie] {
        guard value.utf8.allSatisfy(Base64URL.isAlphabetByte) else { throw .invalidValue }
        func cookie(_ index: Int, _ value: String) -> SetCookie {
            SetCookie(validatedName: self.chunkName(index), value: value, attributes: attributes, httpOnly: httpOnly,
                      maxAge: maxAge, expires: expires)
        }
        let attributesLength = cookie(0, "").renderedAttributes.utf8.count
        func capacity(_ index: Int) -> Int {
            Self.maximumSetCookieLength - self.chunkName(index).utf8.count - 1 - attributesLength
        }

        var cookies: [SetCookie] = []
        let utf8 = value.utf8
        if utf8.count <= capacity(0) {
            cookies.append(cookie(0, value))
        } else {
            var pieces: [Substring] = []
            var start = utf8.startIndex
            while start < utf8.endIndex {
                let index = pieces.count
                guard index < self.maximumChunks else {
                    throw CookieError.valueTooLarge.with(
                        message: "cookie \(self.name) would need more than \(self.maximumChunks) chunks")
                }
                // The first cookie also carries "<N>." (two bytes).
                let room = capacity(index) - (index == 0 ? 2 : 0)
                guard room > 0 else { throw .valueTooLarge }
                let end = utf8.index(start, offsetBy: room, limitedBy: utf8.endIndex) ?? utf8.endIndex
                pieces.append(Substring(utf8[start..<end]))
                start = end
            }
            for (index, piece) in pieces.enumerated() {
                cookies.append(cookie(index, index == 0 ? "\(pieces.count).\(piece)" : String(piece)))
            }
        }
        for (index, staleName) in self.chunkNames(in: present) where index >= cookies.count {
            cookies.append(SetCookie(deletingValidatedName: staleName, attributes: attributes, httpOnly: httpOnly))
        }
        return cookies
    }

    /// Reassembles the value from a request's cookies.
    ///
    /// - Returns: ``CookieLookup/absent`` when neither the base cookie nor any chunk is present, the joined value,
    ///   or ``CookieRejection/malformed`` when the chunks do not match the scheme.
    public func value(in cookies: RequestCookies) -> CookieLookup<String> {
        let chunks = self.chunkNames(in: cookies)
        guard let first = cookies.firstValue(named: self.name) else {
            return chunks.isEmpty ? .absent : .rejected(.malformed)
        }
        let firstBytes = first.utf8
        guard firstBytes.count <= Self.maximumSetCookieLength else { return .rejected(.malformed) }

        // Unchunked: no dot, no chunk cookies.
        guard firstBytes.dropFirst().first == UInt8(ascii: ".") else {
            return chunks.isEmpty && !first.isEmpty ? .valid(String(first)) : .rejected(.malformed)
        }
        guard let digit = firstBytes.first, digit >= UInt8(ascii: "2"), digit <= UInt8(ascii: "9") else {
            return .rejected(.malformed)
        }
        let count = Int(digit - UInt8(ascii: "0"))
        guard count <= self.maximumChunks, !chunks.contains(where: { $0.index >= count }) else {
            return .rejected(.malformed)
        }
        // Cut after the "<N>." prefix by bytes: a combining mark after the dot would join it in one Character.
        var value = String(Substring(firstBytes.dropFirst(2)))
        guard !value.isEmpty else { return .rejected(.malformed) }
        value.reserveCapacity(count * Self.maximumSetCookieLength)
        for index in 1..<count {
            guard let piece = cookies.firstValue(named: self.chunkName(index)), !piece.isEmpty,
                  piece.utf8.count <= Self.maximumSetCookieLength
            else {
                return .rejected(.malformed)
            }
            value.append(contentsOf: piece)
        }
        return .valid(value)
    }

    /// Deletions for the base cookie (always) and every chunk the request carries, as for a logout.
    public func deletionCookies(presentIn cookies: RequestCookies, attributes: CookieAttributes,
                                httpOnly: Bool = true) -> [SetCookie] {
        var deletions = [SetCookie(deletingValidatedName: self.name, attributes: attributes, httpOnly: httpOnly)]
        for (_, chunkName) in self.chunkNames(in: cookies) {
            deletions.append(SetCookie(deletingValidatedName: chunkName, attributes: attributes, httpOnly: httpOnly))
        }
        return deletions
    }

    /// The distinct chunk cookies (`<name>_<index>`, index ≥ 1 without leading zero, at most two digits) present,
    /// in order of first appearance.
    func chunkNames(in cookies: RequestCookies) -> [(index: Int, name: String)] {
        let prefix = self.name + "_"
        var result: [(index: Int, name: String)] = []
        for name in cookies.names(withPrefix: prefix) {
            let digits = name.utf8.dropFirst(prefix.utf8.count)
            guard (1...2).contains(digits.count), digits.first != UInt8(ascii: "0"),
                  digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
            else {
                continue
            }
            let index = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            result.append((index, name))
        }
        return result
    }
}
