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
    ///
    /// Works on UTF-8 bytes: it runs for every request, and `Character` comparisons would cost grapheme breaking.
    static func rewrite(_ uri: String, removingPrefix prefix: String) throws(Problem) -> String {
        let bytes = uri.utf8
        guard bytes.first == UInt8(ascii: "/") else { throw .notOriginForm }
        let pathEnd = bytes.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) ?? bytes.endIndex
        let path = bytes[..<pathEnd]
        try checkSegments(Substring(path))
        let prefixBytes = prefix.utf8
        guard !prefixBytes.isEmpty, path.starts(with: prefixBytes) else { return uri }
        let restStart = bytes.index(bytes.startIndex, offsetBy: prefixBytes.count)
        guard restStart < bytes.endIndex else { return "/" }
        switch bytes[restStart] {
        case UInt8(ascii: "/"): return String(Substring(bytes[restStart...]))
        case UInt8(ascii: "?"): return "/" + Substring(bytes[restStart...])
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
