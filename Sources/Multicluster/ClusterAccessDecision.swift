/// Whether a user may send requests to a managed cluster, as the proxy answers it.
public enum ClusterAccessDecision: Sendable, Hashable {
    /// The user may `get` the cluster's VMC and the cluster exists: continue (forward the request).
    case allowed(ClusterName)
    /// The user may not `get` the cluster's VMC: 403. Given whether or not the cluster exists, as Kubernetes answers
    /// a forbidden `get`, so that users cannot learn which clusters exist.
    case forbidden(ClusterName)
    /// The user may `get` the VMC but there is none of that name: 404.
    case noSuchCluster(ClusterName)

    /// 200 (continue), 403 or 404.
    public var httpStatus: Int {
        switch self {
        case .allowed: 200
        case .forbidden: 403
        case .noSuchCluster: 404
        }
    }

    /// The refusal to answer with, `nil` for ``allowed(_:)``.
    public var refusal: ClusterAccessRefusal? {
        switch self {
        case .allowed: nil
        case .forbidden(let name): ClusterAccessRefusal(decision: .forbidden(name))
        case .noSuchCluster(let name): ClusterAccessRefusal(decision: .noSuchCluster(name))
        }
    }
}

/// A ``ClusterAccessDecision`` other than allowed, as a ``ClusterRefusal``.
public struct ClusterAccessRefusal: ClusterRefusal, Hashable {
    /// The decision (``ClusterAccessDecision/forbidden(_:)`` or ``ClusterAccessDecision/noSuchCluster(_:)``).
    public let decision: ClusterAccessDecision

    /// 403 or 404.
    public var httpStatus: Int { self.decision.httpStatus }

    /// `Forbidden` or `NotFound`.
    public var reason: String { Self.statusReason(self.httpStatus) }

    /// Names the cluster.
    public var message: String {
        switch self.decision {
        case .allowed(let name): "access to cluster \"\(name)\" is allowed"
        case .forbidden(let name): "access to cluster \"\(name)\" is forbidden"
        case .noSuchCluster(let name): "cluster \"\(name)\" not found"
        }
    }
}

/// The access check could not be made (the API server did not answer the review): 503, try again.
public struct ClusterAccessError: ClusterRefusal, Hashable, CustomStringConvertible {
    /// The cluster asked about.
    public let cluster: ClusterName
    /// What went wrong, for logs (not for the client).
    public let detail: String

    /// Creates an error.
    public init(cluster: ClusterName, detail: String) {
        self.cluster = cluster
        self.detail = detail
    }

    /// 503.
    public var httpStatus: Int { 503 }

    /// `ServiceUnavailable`.
    public var reason: String { "ServiceUnavailable" }

    /// Names the cluster, not the cause.
    public var message: String { "cannot check access to cluster \"\(self.cluster)\" now; try again" }

    /// The message and the detail, for logs.
    public var description: String { "\(self.message): \(self.detail)" }
}
