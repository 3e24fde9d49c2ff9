import KubeModels
import Foundation
import NIOSSL

/// The registered managed clusters and what the proxy can do with each: computed from the
/// `VerrazzanoManagedCluster`s and Secrets of the managed-cluster namespace, without I/O.
///
/// For each VMC (by name):
/// - no `status.apiUrl` (or an empty one): ``ClusterState/notRegistered``;
/// - an `apiUrl` that is not an `https` URL with a host: ``ClusterState/unusable(_:)``;
/// - `spec.caSecret` set: the PEM certificates in that Secret's key `cacrt` are the only roots trusted; a missing
///   Secret, a missing key or a key without a certificate make the cluster ``ClusterState/unusable(_:)`` (never a
///   fall back to the system roots, let alone to no verification);
/// - otherwise ``ClusterState/ready(_:)`` with the system roots.
///
/// VMCs of other namespaces and VMCs whose name is not a DNS-1123 subdomain are ignored (the API server never
/// stores the latter). ``ClusterWatcher`` keeps one of these current.
public struct ClusterDirectory: Sendable {
    /// Every registered cluster's state, by name.
    public let states: [ClusterName: ClusterState]

    /// An empty directory: no cluster is registered.
    public init() {
        self.states = [:]
    }

    /// Computes the state of each VMC in `namespace` from the VMCs and Secrets given (Secrets of other namespaces
    /// are ignored).
    public init(
        clusters: some Sequence<VerrazzanoManagedCluster>,
        secrets: some Sequence<ClusterCASecret>,
        namespace: String = VerrazzanoManagedCluster.defaultNamespace
    ) {
        var secretsByName: [String: ClusterCASecret] = [:]
        for secret in secrets where (secret.metadata.namespace ?? namespace) == namespace {
            secretsByName[secret.name] = secret
        }
        var states: [ClusterName: ClusterState] = [:]
        for cluster in clusters where (cluster.metadata.namespace ?? namespace) == namespace {
            guard let name = ClusterName(cluster.name) else { continue }
            states[name] = Self.state(of: cluster, secrets: secretsByName)
        }
        self.states = states
    }

    /// The registered names, sorted.
    public var names: [ClusterName] { self.states.keys.sorted() }

    /// The state of the cluster `name`; `nil` if no VMC of that name exists.
    public subscript(name: ClusterName) -> ClusterState? { self.states[name] }

    /// The value of a metric's `cluster` label for requests to `destination`: `local` for this cluster, the name of
    /// a registered cluster, and `unregistered` for any other name, so that clients cannot grow the label's values.
    public func metricLabel(for destination: ClusterRoute.Destination) -> String {
        switch destination {
        case .local: "local"
        case .remote(let name): self.states[name] == nil ? "unregistered" : name.rawValue
        }
    }

    /// Where to send a request for `name`.
    ///
    /// - Throws: ``ClusterLookupError``: 404 for no such cluster, 503 for one not registered yet or whose CA Secret
    ///   is missing, 502 for one whose registration cannot be used.
    public func endpoint(for name: ClusterName) throws(ClusterLookupError) -> ClusterEndpoint {
        switch self.states[name] {
        case nil: throw .noSuchCluster(name)
        case .notRegistered?: throw .notRegistered(name)
        case .unusable(let problem)?: throw .unusable(name, problem)
        case .ready(let endpoint)?: return endpoint
        }
    }

    /// The state of one VMC.
    static func state(of cluster: VerrazzanoManagedCluster, secrets: [String: ClusterCASecret]) -> ClusterState {
        guard let apiURL = cluster.status.apiUrl, !apiURL.isEmpty else { return .notRegistered }
        guard let components = URLComponents(string: apiURL), let scheme = components.scheme,
              var host = components.host, !host.isEmpty, components.user == nil, components.password == nil,
              components.query == nil, components.fragment == nil
        else {
            return .unusable(.invalidAPIURL(apiURL))
        }
        guard scheme.lowercased() == "https" else { return .unusable(.apiURLNotHTTPS(apiURL)) }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        var basePath = components.percentEncodedPath
        while basePath.hasSuffix("/") { basePath.removeLast() }
        let port = components.port ?? 443
        guard (1...65535).contains(port) else { return .unusable(.invalidAPIURL(apiURL)) }

        let trust: ClusterEndpoint.Trust
        if let secretName = cluster.spec.caSecret, !secretName.isEmpty {
            guard let secret = secrets[secretName] else { return .unusable(.caSecretMissing(secretName)) }
            guard !secret.caKeyUnreadable else { return .unusable(.caUnreadable(secretName)) }
            guard let pem = secret.caCertificatePEM else { return .unusable(.caKeyMissing(secretName)) }
            guard let certificates = try? NIOSSLCertificate.fromPEMBytes(pem), !certificates.isEmpty else {
                return .unusable(.caUnreadable(secretName))
            }
            trust = .certificateAuthority(secret: secretName, certificates: certificates)
        } else {
            trust = .systemRoots
        }
        var url = apiURL
        while url.hasSuffix("/") { url.removeLast() }
        return .ready(ClusterEndpoint(url: url, host: host, port: port, basePath: basePath, trust: trust))
    }
}
