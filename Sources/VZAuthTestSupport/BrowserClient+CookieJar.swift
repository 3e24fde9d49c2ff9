public import Foundation

/// A cookie as a browser stores it (RFC 6265, section 5.3).
public struct BrowserCookie: Sendable, Hashable {
    /// The name.
    public var name: String
    /// The value.
    public var value: String
    /// The host (host-only) or the `Domain` attribute (lowercased, without a leading dot).
    public var domain: String
    /// Whether it came without `Domain`: sent to exactly ``domain`` only, on any port.
    public var hostOnly: Bool
    /// The `Path` attribute or the default path.
    public var path: String
    /// When it expires; `nil` for a session cookie.
    public var expires: Date?
    /// `Secure`: only sent over HTTPS.
    public var secure: Bool
    /// `HttpOnly` (stored; it changes nothing for a client without scripts).
    public var httpOnly: Bool
    /// The `SameSite` attribute as sent (`Strict`, `Lax`, `None`), if any.
    public var sameSite: String?
    /// Creation order (earlier cookies are sent first among cookies of equal path length).
    var creation: Int
}

/// The cookie storage model of ``BrowserClient``: RFC 6265 storage, expiry, domain and path matching.
struct BrowserCookieJar {
    /// Cookies keyed by domain, path and name.
    private var cookies: [Key: BrowserCookie] = [:]
    private var nextCreation = 0
    /// Added to the wall clock for expiry decisions (``BrowserClient/advanceClock(by:)``).
    var clockOffset: TimeInterval = 0

    private struct Key: Hashable {
        var domain: String
        var path: String
        var name: String
    }

    var now: Date { Date().addingTimeInterval(self.clockOffset) }

    // MARK: Receiving

    /// Processes one `Set-Cookie` value received from `host` for `requestPath` (RFC 6265, sections 5.2 and 5.3).
    /// Ignores it when malformed or when its `Domain` does not cover the host.
    mutating func receive(_ header: String, host rawHost: String, requestPath: String) {
        let host = Self.canonicalHost(rawHost)
        let parts = header.split(separator: ";", omittingEmptySubsequences: false)
        guard let pair = parts.first, let equals = pair.firstIndex(of: "=") else { return }
        let name = pair[..<equals].trimmingCharacters(in: .whitespaces)
        let value = pair[pair.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { return }

        var expires: Date?
        var maxAge: TimeInterval?
        var domainAttribute: String?
        var pathAttribute: String?
        var secure = false
        var httpOnly = false
        var sameSite: String?
        for attribute in parts.dropFirst() {
            let nameAndValue = attribute.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let attributeName = nameAndValue[0].trimmingCharacters(in: .whitespaces).lowercased()
            let attributeValue = nameAndValue.count > 1 ? nameAndValue[1].trimmingCharacters(in: .whitespaces) : ""
            switch attributeName {
            case "expires":
                if let date = Self.parseCookieDate(attributeValue) { expires = date }
            case "max-age":
                let digits = attributeValue.hasPrefix("-") ? attributeValue.dropFirst() : Substring(attributeValue)
                if !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) {
                    let seconds = Double(attributeValue) ?? 0
                    maxAge = seconds
                }
            case "domain":
                var domain = attributeValue.lowercased()
                if domain.hasPrefix(".") { domain.removeFirst() }
                if !domain.isEmpty { domainAttribute = domain }
            case "path":
                pathAttribute = attributeValue.hasPrefix("/") ? attributeValue : nil
            case "secure":
                secure = true
            case "httponly":
                httpOnly = true
            case "samesite":
                sameSite = attributeValue
            default:
                break
            }
        }

        let now = self.now
        // Max-Age wins over Expires; zero or negative means "already expired".
        if let maxAge {
            expires = maxAge <= 0 ? .distantPast : now.addingTimeInterval(maxAge)
        }
        var hostOnly = true
        var domain = host
        if let domainAttribute {
            if domainAttribute == host {
                hostOnly = false
            } else if !Self.isIPAddress(host), host.hasSuffix("." + domainAttribute) {
                hostOnly = false
                domain = domainAttribute
            } else {
                return  // a Domain that does not cover the host: ignored entirely
            }
        }
        let path = pathAttribute ?? Self.defaultPath(requestPath)
        let key = Key(domain: domain, path: path, name: name)
        let previous = self.cookies[key]
        if let expires, expires <= now {
            self.cookies[key] = nil  // deletion
            return
        }
        let creation: Int
        if let previous {
            creation = previous.creation
        } else {
            creation = self.nextCreation
            self.nextCreation += 1
        }
        self.cookies[key] = BrowserCookie(
            name: name, value: value, domain: domain, hostOnly: hostOnly, path: path, expires: expires,
            secure: secure, httpOnly: httpOnly, sameSite: sameSite, creation: creation
        )
    }

    // MARK: Sending

    /// The cookies to send to `host` for `path`, in `Cookie` header order (longer paths first, then older).
    ///
    /// - Parameters:
    ///   - secureChannel: Whether the request goes over HTTPS (else `Secure` cookies stay home).
    ///   - crossSiteNavigation: Whether the request is a navigation reached through a redirect from another host
    ///     (then `SameSite=Strict` cookies stay home).
    mutating func cookies(host rawHost: String, path: String, secureChannel: Bool, crossSiteNavigation: Bool = false) -> [BrowserCookie] {
        self.removeExpired()
        let host = Self.canonicalHost(rawHost)
        return self.cookies.values
            .filter { cookie in
                Self.domainMatches(cookie, host: host)
                    && Self.pathMatches(cookiePath: cookie.path, requestPath: path)
                    && (!cookie.secure || secureChannel)
                    && !(crossSiteNavigation && cookie.sameSite?.lowercased() == "strict")
            }
            .sorted { ($0.path.count, -$0.creation) > ($1.path.count, -$1.creation) }
    }

    /// The `Cookie` header value for those cookies, or `nil` for none.
    mutating func cookieHeader(host: String, path: String, secureChannel: Bool, crossSiteNavigation: Bool = false) -> String? {
        let cookies = self.cookies(host: host, path: path, secureChannel: secureChannel, crossSiteNavigation: crossSiteNavigation)
        return cookies.isEmpty ? nil : cookies.map { "\($0.name)=\($0.value)" }.joined(separator: "; ")
    }

    // MARK: Direct access

    /// Every live cookie, in creation order.
    mutating func all() -> [BrowserCookie] {
        self.removeExpired()
        return self.cookies.values.sorted { $0.creation < $1.creation }
    }

    /// Adds or replaces a host-only session cookie, as if set by `host` with `Path=<path>`.
    mutating func set(name: String, value: String, host: String, path: String) {
        self.receive("\(name)=\(value); Path=\(path)", host: host, requestPath: path)
    }

    /// Removes every cookie named `name` that would be sent to `host`.
    mutating func remove(name: String, host rawHost: String) {
        let host = Self.canonicalHost(rawHost)
        self.cookies = self.cookies.filter { !($0.value.name == name && Self.domainMatches($0.value, host: host)) }
    }

    mutating func removeAll() {
        self.cookies = [:]
    }

    private mutating func removeExpired() {
        let now = self.now
        self.cookies = self.cookies.filter { $0.value.expires.map { $0 > now } ?? true }
    }

    // MARK: Rules

    /// Lowercased, without IPv6 brackets.
    static func canonicalHost(_ host: String) -> String {
        var host = host.lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        return host
    }

    static func isIPAddress(_ host: String) -> Bool {
        host.contains(":") || (!host.isEmpty && host.allSatisfy { $0 == "." || ($0.isASCII && $0.isNumber) })
    }

    static func domainMatches(_ cookie: BrowserCookie, host: String) -> Bool {
        if cookie.hostOnly { return cookie.domain == host }
        return cookie.domain == host || (!Self.isIPAddress(host) && host.hasSuffix("." + cookie.domain))
    }

    /// RFC 6265, section 5.1.4.
    static func pathMatches(cookiePath: String, requestPath: String) -> Bool {
        if cookiePath == requestPath { return true }
        guard requestPath.hasPrefix(cookiePath) else { return false }
        if cookiePath.hasSuffix("/") { return true }
        return requestPath.dropFirst(cookiePath.count).first == "/"
    }

    /// The default path (RFC 6265, section 5.1.4): the request path up to, not including, its last `/`.
    static func defaultPath(_ requestPath: String) -> String {
        guard requestPath.hasPrefix("/"), let last = requestPath.lastIndex(of: "/"), last != requestPath.startIndex else {
            return "/"
        }
        return String(requestPath[..<last])
    }

    /// Parses a cookie date the lenient way of RFC 6265, section 5.1.1 (any of the usual HTTP date formats).
    static func parseCookieDate(_ text: String) -> Date? {
        let delimiters = CharacterSet(charactersIn: "\t !\"#$%&'()*+,-./;<=>?@[\\]^_`{|}~")
        var time: (Int, Int, Int)?
        var day: Int?
        var month: Int?
        var year: Int?
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        for token in text.components(separatedBy: delimiters) where !token.isEmpty {
            if time == nil, token.contains(":") {
                let fields = token.split(separator: ":").map { Int($0.prefix { $0.isNumber }) }
                if fields.count == 3, let h = fields[0], let m = fields[1], let s = fields[2] {
                    time = (h, m, s)
                    continue
                }
            }
            let digits = token.prefix { $0.isASCII && $0.isNumber }
            if day == nil, (1...2).contains(digits.count), let value = Int(digits) {
                day = value
                continue
            }
            if month == nil, let index = months.firstIndex(of: String(token.prefix(3)).lowercased()) {
                month = index + 1
                continue
            }
            if year == nil, (2...4).contains(digits.count), let value = Int(digits) {
                year = value
                continue
            }
        }
        guard var year, let month, let day, let time else { return nil }
        if (70...99).contains(year) { year += 1900 } else if (0...69).contains(year) { year += 2000 }
        guard (1...31).contains(day), year >= 1601, time.0 <= 23, time.1 <= 59, time.2 <= 59 else { return nil }
        var components = DateComponents()
        components.year = year
        components.month = month
        components.day = day
        components.hour = time.0
        components.minute = time.1
        components.second = time.2
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: components)
    }
}
