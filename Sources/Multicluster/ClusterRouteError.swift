/// Why a request's cluster designation is refused; every case is a 400 Bad Request.
public enum ClusterRouteError: ClusterRefusal, Hashable {
    /// The name (cut to 64 characters) is not a DNS-1123 subdomain; the second value says why.
    case invalidName(String, String)
    /// The request names two different clusters: in the query twice, or in the query and the path.
    case conflictingClusters(ClusterName, ClusterName)
    /// A query parameter whose name is a percent-encoding of `cluster` (such as `clus%74er`): another hop might
    /// decode it and route elsewhere, so it is refused rather than guessed at.
    case encodedClusterParameter

    /// 400.
    public var httpStatus: Int { 400 }

    /// `BadRequest`.
    public var reason: String { "BadRequest" }

    /// What is wrong and how to fix it.
    public var message: String {
        switch self {
        case .invalidName(let name, let problem):
            "invalid cluster name \"\(name)\": \(problem) (a cluster name is a DNS-1123 subdomain, e.g. managed1)"
        case .conflictingClusters(let first, let second):
            "the request names two clusters, \"\(first)\" and \"\(second)\"; name one, with cluster=NAME or /clusters/NAME"
        case .encodedClusterParameter:
            "the query parameter name \"cluster\" must not be percent-encoded"
        }
    }
}
