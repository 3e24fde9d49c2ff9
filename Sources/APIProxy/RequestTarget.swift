/// Checks and rewrites the request target (path and query) of an API request.
enum RequestTarget {
    /// Why a request target is refused.
    enum Problem: Error {
        /// Not an origin-form target (`/path?query`): absolute-form, authority-form or `*`.
        case notOriginForm
        /// Contains a `.` or `..` segment (also percent-encoded), which a Kubernetes client never sends.
        case dotSegment
    }

    /// The target to forward: `uri` without the version `prefix` (when it carries it), otherwise unchanged.
    static func rewrite(_ uri: String, removingPrefix prefix: String) throws(Problem) -> String {
        guard uri.utf8.first == UInt8(ascii: "/") else { throw .notOriginForm }
        let pathEnd = uri.firstIndex(where: { $0 == "?" || $0 == "#" }) ?? uri.endIndex
        let path = uri[..<pathEnd]
        try checkSegments(path)
        guard !prefix.isEmpty, path.hasPrefix(prefix) else { return uri }
        let rest = uri[uri.index(uri.startIndex, offsetBy: prefix.count)...]
        if rest.isEmpty { return "/" }
        switch rest.first {
        case "/": return String(rest)
        case "?": return "/" + rest
        default: return uri  // `/20210501abc` is not the prefix
        }
    }

    private static let dotSegments: Set<String> = [".", "..", "%2e", ".%2e", "%2e.", "%2e%2e"]

    private static func checkSegments(_ path: Substring) throws(Problem) {
        // Fast path: a dot segment needs a `.` or a percent-encoded one.
        guard path.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "%") }) else { return }
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            guard segment.utf8.count <= 6 else { continue }
            if dotSegments.contains(segment.lowercased()) { throw .dotSegment }
        }
    }
}
