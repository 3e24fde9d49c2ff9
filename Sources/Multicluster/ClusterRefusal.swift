public import KubeModels

/// Why a multicluster request is answered by the proxy itself instead of being forwarded: the HTTP status, the
/// Kubernetes `Status` reason and a message for the client.
///
/// Every error of this module conforms, so the proxy turns any of them into a `Status` response in one place.
///
/// - Important: ``message`` never contains a token, a credential or a file path; it may name the cluster.
public protocol ClusterRefusal: Error, Sendable {
    /// The HTTP status to answer with, e.g. 400.
    var httpStatus: Int { get }
    /// The `Status` reason, e.g. `BadRequest`.
    var reason: String { get }
    /// A message for the client.
    var message: String { get }
}

extension ClusterRefusal {
    /// The `Status` object to answer with (`kind: Status`, `status: Failure`, reason, message and code).
    public var kubeStatus: KubeStatus {
        KubeStatus(status: "Failure", message: self.message, reason: self.reason, code: self.httpStatus)
    }

    /// The `Status` reason Kubernetes uses for ``httpStatus``.
    static func statusReason(_ code: Int) -> String {
        switch code {
        case 400: "BadRequest"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 502: "BadGateway"
        case 503: "ServiceUnavailable"
        default: "InternalError"
        }
    }
}
