/// A path pattern for which an unauthenticated browser is sent to the login page: `/` (exactly that path) or
/// `/app/*` (that prefix and everything under it).
///
/// OpenSearch Dashboards-style consoles load many resources from other paths; only the pages a person opens should
/// start a login, every other unauthenticated request gets 401.
public struct LoginPathPattern: Sendable, Hashable, CustomStringConvertible {
    /// The path, without the trailing `*` of a prefix pattern.
    public let path: String
    /// Whether the pattern matches every path under ``path``.
    public let isPrefix: Bool

    /// Parses `/exact` or `/prefix/*`.
    ///
    /// - Throws: ``OIDCProxyConfigurationError`` when the pattern does not start with `/` or has a `*` elsewhere
    ///   than at the end.
    public init(_ text: String) throws(OIDCProxyConfigurationError) {
        guard text.hasPrefix("/") else {
            throw OIDCProxyConfigurationError("login path pattern \"\(text)\" must start with /")
        }
        if text.hasSuffix("*") {
            let path = String(text.dropLast())
            guard !path.contains("*") else {
                throw OIDCProxyConfigurationError("login path pattern \"\(text)\" may have * only at the end")
            }
            self.path = path
            self.isPrefix = true
        } else {
            guard !text.contains("*") else {
                throw OIDCProxyConfigurationError("login path pattern \"\(text)\" may have * only at the end")
            }
            self.path = text
            self.isPrefix = false
        }
    }

    /// Whether `path` (without the query) matches. `/app/*` also matches `/app` itself.
    public func matches(_ requestPath: Substring) -> Bool {
        if isPrefix {
            if requestPath.utf8.starts(with: path.utf8) { return true }
            // `/app/*` covers `/app` too.
            return path.hasSuffix("/") && requestPath.utf8.elementsEqual(path.utf8.dropLast())
        }
        return requestPath.utf8.elementsEqual(path.utf8)
    }

    public var description: String { isPrefix ? path + "*" : path }
}
