/// What the proxy can do with requests for one registered cluster.
public enum ClusterState: Sendable, Hashable {
    /// The VMC has no `status.apiUrl` yet: answer 503 "cluster NAME is not registered yet".
    case notRegistered
    /// The VMC cannot be used as it is; the problem says why. Nothing is sent to the cluster.
    case unusable(ClusterProblem)
    /// Requests can be forwarded.
    case ready(ClusterEndpoint)
}

/// Why a registered cluster cannot be used. A misconfigured cluster is refused, never reached without verification.
public enum ClusterProblem: Sendable, Hashable, CustomStringConvertible {
    /// `status.apiUrl` is not a URL with a host.
    case invalidAPIURL(String)
    /// `status.apiUrl` is not `https`.
    case apiURLNotHTTPS(String)
    /// `spec.caSecret` names a Secret that does not exist (yet).
    case caSecretMissing(String)
    /// The Secret named by `spec.caSecret` has no key `cacrt`.
    case caKeyMissing(String)
    /// The Secret's `cacrt` is not base64 of PEM certificates.
    case caUnreadable(String)

    /// For logs and for the operator (names the VMC's fields and the Secret, never a certificate).
    public var description: String {
        switch self {
        case .invalidAPIURL(let url): "status.apiUrl \"\(url.prefix(256))\" is not a URL with a host"
        case .apiURLNotHTTPS(let url): "status.apiUrl \"\(url.prefix(256))\" is not an https URL"
        case .caSecretMissing(let name): "spec.caSecret names Secret \"\(name)\", which does not exist"
        case .caKeyMissing(let name): "Secret \"\(name)\" named by spec.caSecret has no key \"\(ClusterCASecret.caKey)\""
        case .caUnreadable(let name):
            "Secret \"\(name)\" named by spec.caSecret has no PEM certificate in key \"\(ClusterCASecret.caKey)\""
        }
    }
}
