/// Checks and rewrites the request target (path and query) of an API request.
enum RequestTarget {
    /// Why a request target is refused.
    enum Problem: Error {
        /// Not an origin-form target (`/path?query`): absolute-form, authority-form or `*`.
        case notOriginForm
        /// Contains a `.` or `..` segment (also percent-encoded), which a Kubernetes client never sends.
        case dotSegment
    }

    /// How the target to forward differs from the client's: some bytes left off its start (the version prefix),
    /// and a `/` put in their place when only a query follows them.
    struct Rewrite: Equatable {
        var bytesDropped = 0
        var insertsSlash = false
    }

    /// The target to forward: `uri` without the version `prefix` (when it carries it), otherwise unchanged.
    static func rewrite(_ uri: String, removingPrefix prefix: String) throws(Problem) -> String {
        var uri = uri
        let rewrite = try uri.withUTF8 { bytes in
            Result { () throws(Problem) in try Self.rewrite(UnsafeRawBufferPointer(bytes), removingPrefix: prefix) }
        }.get()
        let rest = String(Substring(uri.utf8.dropFirst(rewrite.bytesDropped)))
        return rewrite.insertsSlash ? "/" + rest : rest
    }

    /// How to forward `target` (the client's bytes): without the version `prefix` when it carries it.
    ///
    /// Works on bytes: it runs for every request, and `Character` comparisons would cost grapheme breaking.
    static func rewrite(_ target: UnsafeRawBufferPointer, removingPrefix prefix: String) throws(Problem) -> Rewrite {
        guard target.first == UInt8(ascii: "/") else { throw .notOriginForm }
        let pathEnd = target.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) ?? target.endIndex
        let path = UnsafeRawBufferPointer(rebasing: target[..<pathEnd])
        try checkSegments(path)
        var prefix = prefix
        return prefix.withUTF8 { prefixBytes in
            guard !prefixBytes.isEmpty, path.starts(with: prefixBytes) else { return Rewrite() }
            let restStart = prefixBytes.count
            guard restStart < target.count else { return Rewrite(bytesDropped: restStart, insertsSlash: true) }
            switch target[restStart] {
            case UInt8(ascii: "/"): return Rewrite(bytesDropped: restStart)
            case UInt8(ascii: "?"): return Rewrite(bytesDropped: restStart, insertsSlash: true)
            default: return Rewrite()  // `/20210501abc` is not the prefix
            }
        }
    }

    private static let dotSegments: Set<String> = [".", "..", "%2e", ".%2e", "%2e.", "%2e%2e"]

    private static func checkSegments(_ path: UnsafeRawBufferPointer) throws(Problem) {
        // Fast path: a dot segment needs a `.` or a percent-encoded one.
        guard path.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "%") }) else { return }
        for segment in path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            guard segment.count <= 6 else { continue }
            if dotSegments.contains(String(decoding: segment, as: UTF8.self).lowercased()) { throw .dotSegment }
        }
    }
}
