/// Why a request for a managed cluster cannot be forwarded, as the proxy answers it.
public enum ClusterLookupError: ClusterRefusal, Hashable {
    /// No `VerrazzanoManagedCluster` of this name: 404.
    case noSuchCluster(ClusterName)
    /// The VMC has no `status.apiUrl` yet: 503.
    case notRegistered(ClusterName)
    /// The VMC's registration cannot be used: 503 while its CA Secret is missing (it may be created next), else
    /// 502.
    case unusable(ClusterName, ClusterProblem)

    /// 404, 503 or 502.
    public var httpStatus: Int {
        switch self {
        case .noSuchCluster: 404
        case .notRegistered: 503
        case .unusable(_, .caSecretMissing): 503
        case .unusable: 502
        }
    }

    /// The `Status` reason of ``httpStatus``.
    public var reason: String { Self.statusReason(self.httpStatus) }

    /// Names the cluster; the details of an unusable registration are for the log (``ClusterProblem``), not the
    /// client.
    public var message: String {
        switch self {
        case .noSuchCluster(let name): "cluster \"\(name)\" not found"
        case .notRegistered(let name): "cluster \"\(name)\" is not registered yet"
        case .unusable(let name, _): "cluster \"\(name)\" cannot be reached: its registration is incomplete or invalid"
        }
    }
}
