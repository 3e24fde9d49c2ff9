/// Which cluster a Kubernetes API request is for, and the request target to send there.
///
/// A request names a cluster in one of two ways (issue 16):
/// - **console style**: `cluster=NAME` anywhere in the query, e.g.
///   `/20210501/api/v1/namespaces/app/pods?cluster=managed1`;
/// - **kubectl style**: a `/clusters/NAME` path prefix, e.g. `/clusters/managed1/api/v1/pods` (a kubeconfig whose
///   server is `https://admin-proxy/clusters/managed1`). The console's version prefix may come before it
///   (`/20210501/clusters/NAME/api/...`) or after it (`/clusters/NAME/20210501/api/...`).
///
/// The designation is removed and nothing else changes: every other query parameter is kept byte for byte and in
/// order (empty values, percent-encodings and empty parameters included), a `?` with no parameters left is dropped,
/// and the console's version prefix stays where it was, so that the receiving proxy sees a console-style request as
/// a console-style request. A request naming no cluster keeps its target unchanged (no copy is made).
///
/// Rules:
/// - the name must be a DNS-1123 subdomain as sent (``ClusterName``): empty, percent-encoded, `..` and upper-case
///   names are refused (400);
/// - the name ``Rules/localClusterName`` (default `local`) means this cluster: ``destination`` is
///   ``Destination/local`` and the target is the request's without the designation;
/// - the same name given more than once (`cluster=a&cluster=a`, or in both forms) is one designation, and every
///   `cluster` parameter is removed; two different names, in any combination of the forms, are refused (400), since
///   which one the client meant cannot be known;
/// - a query parameter whose name is a percent-encoding of `cluster` (`clus%74er=x`) is refused (400): some other hop
///   might decode it and send the request elsewhere.
///
/// - Important: This only finds the cluster. The proxy still checks the whole original target as it does today
///   (origin form, no dot segments) before routing it.
public struct ClusterRoute: Sendable, Hashable {
    /// Where the request goes.
    public enum Destination: Sendable, Hashable, CustomStringConvertible {
        /// This cluster's API server.
        case local
        /// The managed cluster of this name (never ``Rules/localClusterName``).
        case remote(ClusterName)

        /// The cluster name, with `local` for this cluster (also a bounded metric label once the name is known to be
        /// registered).
        public var description: String {
            switch self {
            case .local: "local"
            case .remote(let name): name.rawValue
            }
        }
    }

    /// How names and the console's prefix are recognised.
    public struct Rules: Sendable, Hashable {
        /// The name that means this cluster (`--local-cluster-name`). Default `local`.
        public var localClusterName: String
        /// The console's version prefix, kept when present (`/20210501`); empty: none is recognised.
        public var consolePrefix: String

        /// Creates rules; the defaults are Verrazzano's.
        public init(localClusterName: String = "local", consolePrefix: String = "/20210501") {
            self.localClusterName = localClusterName
            self.consolePrefix = consolePrefix
        }
    }

    /// Where the request goes.
    public var destination: Destination
    /// The request target to forward: the original without the cluster designation.
    public var target: String

    /// Creates a route.
    public init(destination: Destination, target: String) {
        self.destination = destination
        self.target = target
    }

    /// Finds the cluster `target` (an origin-form request target: path and query) names.
    ///
    /// - Throws: ``ClusterRouteError`` (400) for an invalid or encoded name, or two different names.
    public static func parse(_ target: String, rules: Rules = Rules()) throws(ClusterRouteError) -> ClusterRoute {
        guard Self.mayNameCluster(target.utf8) else { return ClusterRoute(destination: .local, target: target) }
        let bytes = Array(target.utf8)
        let queryStart = bytes.firstIndex(of: UInt8(ascii: "?"))
        let pathEnd = queryStart ?? bytes.endIndex

        var named: ClusterName?
        var path: String?
        if let found = try Self.pathDesignation(bytes[..<pathEnd], consolePrefix: Array(rules.consolePrefix.utf8)) {
            named = found.name
            path = found.forwardedPath
        }
        var query: String?
        if let queryStart, let found = try Self.queryDesignation(bytes[(queryStart + 1)...]) {
            if let named, named != found.name { throw .conflictingClusters(found.name, named) }
            named = found.name
            query = found.remainingQuery
        }
        guard let named else { return ClusterRoute(destination: .local, target: target) }

        var forwarded = path ?? String(decoding: bytes[..<pathEnd], as: UTF8.self)
        if let query {
            if !query.isEmpty { forwarded += "?" + query }
        } else if let queryStart {
            forwarded += String(decoding: bytes[queryStart...], as: UTF8.self)
        }
        let destination: Destination = named.rawValue == rules.localClusterName ? .local : .remote(named)
        return ClusterRoute(destination: destination, target: forwarded)
    }

    private static let clustersSegment = Array("/clusters".utf8)

    /// The fast path of requests naming no cluster: without `cluster` and without a `%` (which could encode it) in
    /// the target, there is no designation.
    private static func mayNameCluster(_ target: String.UTF8View) -> Bool {
        var matched = 0
        for byte in target {
            if byte == UInt8(ascii: "%") { return true }
            if byte == Self.clusterKey[matched] {
                matched += 1
                if matched == Self.clusterKey.count { return true }
            } else {
                matched = byte == Self.clusterKey[0] ? 1 : 0
            }
        }
        return false
    }

    /// The `/clusters/NAME` prefix (after the console prefix, if any): the name and the path to forward.
    private static func pathDesignation(
        _ path: ArraySlice<UInt8>,
        consolePrefix: [UInt8]
    ) throws(ClusterRouteError) -> (name: ClusterName, forwardedPath: String)? {
        var start = path.startIndex
        var keptPrefix = ""
        if !consolePrefix.isEmpty, Self.startsWithSegment(path, consolePrefix),
           Self.startsWithSegment(path[(start + consolePrefix.count)...], Self.clustersSegment) {
            start += consolePrefix.count
            keptPrefix = String(decoding: consolePrefix, as: UTF8.self)
        }
        guard Self.startsWithSegment(path[start...], Self.clustersSegment) else { return nil }
        let nameStart = min(start + Self.clustersSegment.count + 1, path.endIndex)
        let nameEnd = path[nameStart...].firstIndex(of: UInt8(ascii: "/")) ?? path.endIndex
        let name = try ClusterName.validated(String(decoding: path[nameStart..<nameEnd], as: UTF8.self))
        let rest = path[nameEnd...]
        return (name, keptPrefix + (rest.isEmpty ? "/" : String(decoding: rest, as: UTF8.self)))
    }

    /// Whether `bytes` starts with `segment` followed by `/` or its end.
    private static func startsWithSegment(_ bytes: ArraySlice<UInt8>, _ segment: [UInt8]) -> Bool {
        guard bytes.starts(with: segment) else { return false }
        let next = bytes.startIndex + segment.count
        return next == bytes.endIndex || bytes[next] == UInt8(ascii: "/")
    }

    /// The `cluster` parameters of `query`: the one name they give and the query without them; `nil` if none.
    private static func queryDesignation(
        _ query: ArraySlice<UInt8>
    ) throws(ClusterRouteError) -> (name: ClusterName, remainingQuery: String)? {
        var named: ClusterName?
        var kept: [ArraySlice<UInt8>] = []
        for parameter in query.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false) {
            let equals = parameter.firstIndex(of: UInt8(ascii: "=")) ?? parameter.endIndex
            let key = parameter[..<equals]
            guard Self.isClusterKey(key) else {
                if Self.decodesToClusterKey(key) { throw .encodedClusterParameter }
                kept.append(parameter)
                continue
            }
            let value = equals < parameter.endIndex ? parameter[(equals + 1)...] : []
            let name = try ClusterName.validated(String(decoding: value, as: UTF8.self))
            if let named, named != name { throw .conflictingClusters(named, name) }
            named = name
        }
        guard let named else { return nil }
        return (named, String(decoding: Array(kept.joined(separator: [UInt8(ascii: "&")])), as: UTF8.self))
    }

    private static let clusterKey = Array("cluster".utf8)

    private static func isClusterKey(_ key: ArraySlice<UInt8>) -> Bool {
        key.elementsEqual(Self.clusterKey)
    }

    /// Whether `key` percent-decodes to `cluster` (checked without allocating; only keys with a `%` can).
    private static func decodesToClusterKey(_ key: ArraySlice<UInt8>) -> Bool {
        guard key.count <= Self.clusterKey.count * 3, key.contains(UInt8(ascii: "%")) else { return false }
        var index = key.startIndex
        var matched = 0
        while index < key.endIndex {
            var byte = key[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < key.endIndex, let high = Self.hexValue(key[index + 1]),
                      let low = Self.hexValue(key[index + 2]) else { return false }
                byte = high << 4 | low
                index += 3
            } else {
                index += 1
            }
            guard matched < Self.clusterKey.count, byte == Self.clusterKey[matched] else { return false }
            matched += 1
        }
        return matched == Self.clusterKey.count
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
