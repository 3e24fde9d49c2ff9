public import Multicluster
import NIOCore
import NIOHTTP1
import NIOSSL
import ProxyCore
import ProxyFrontDoor
import Synchronization

/// What the admin cluster's API proxy needs to forward a request to a managed cluster's API proxy: which cluster
/// a request names (``ClusterRoute``), whether the user may use it (``ClusterAccessCheck``), where it is and how to
/// trust it (the ``ClusterDirectory`` a ``ClusterWatcher`` keeps current).
///
/// Such a request goes with the user's own bearer token, never the proxy's credential and never `Impersonate-*`:
/// the managed cluster's proxy checks the token again and impersonates the user on its own API server.
public final class ManagedClusterRouting: Sendable {
    /// The local cluster's name and the console's version prefix.
    public let rules: ClusterRoute.Rules
    private let access: ClusterAccessCheck
    /// The registered clusters, nil until they have been listed.
    private let directory: @Sendable () -> ClusterDirectory?
    private let namespace: String
    private let metrics: APIProxyMetrics?
    /// One upstream per registration (a TLS context is built once, and connections to it are pooled).
    private let endpoints = Mutex<[ClusterEndpoint: UpstreamEndpoint]>([:])

    /// Creates the routing.
    ///
    /// - Parameters:
    ///   - rules: the local cluster's name (`--local-cluster-name`) and the console prefix.
    ///   - access: decides whether a user may `get` a cluster's `VerrazzanoManagedCluster`.
    ///   - directory: the registered clusters now (``ClusterWatcher/directory``), nil until they have been listed
    ///     (``ClusterWatcher/isSynced``).
    ///   - namespace: where they are registered (for messages).
    ///   - metrics: where requests to each cluster are counted (`cluster` is a registered name or `unregistered`).
    public init(rules: ClusterRoute.Rules, access: ClusterAccessCheck,
                directory: @escaping @Sendable () -> ClusterDirectory?, namespace: String, metrics: APIProxyMetrics? = nil) {
        self.rules = rules
        self.access = access
        self.directory = directory
        self.namespace = namespace
        self.metrics = metrics
    }

    /// Counts a request for `cluster` (its label bounded to registered names).
    private func count(_ cluster: ClusterName, in directory: ClusterDirectory?, outcome: String) {
        metrics?.clusterRequest(cluster: directory?.metricLabel(for: .remote(cluster)) ?? "unregistered", outcome: outcome)
    }

    /// Counts a request that named this cluster.
    func countLocal() {
        metrics?.clusterRequest(cluster: "local", outcome: "forwarded")
    }

    /// Whether `target` may name a cluster: a byte scan for `clus` (in `/clusters/NAME` and `cluster=NAME`, and in
    /// a percent-encoded `clus%74er`, which is refused), so that the common request is not parsed twice.
    static func mayNameCluster(_ target: UnsafeRawBufferPointer) -> Bool {
        guard target.count >= 4 else { return false }
        for index in 0...(target.count - 4)
        where target[index] == UInt8(ascii: "c") && target[index + 1] == UInt8(ascii: "l")
            && target[index + 2] == UInt8(ascii: "u") && target[index + 3] == UInt8(ascii: "s") {
            return true
        }
        return false
    }

    /// The cluster `head` names, if it names one (nil for this cluster and for a request that names none).
    func route(_ head: RequestHead) throws(ClusterRouteError) -> ClusterRoute? {
        guard head.withTargetBytes(Self.mayNameCluster) else { return nil }
        return try ClusterRoute.parse(head.uri, rules: rules)
    }

    /// The decision for a request to `cluster` by `subject`, after its credential was accepted: a forward to the
    /// managed cluster's API proxy with the client's head (its `Authorization` replaced by `Bearer bearerToken` when
    /// one is given: a Basic client's granted token), or a `Status` saying why not.
    func decide(_ subject: AccessSubject, cluster: ClusterName, target: String, head: RequestHead, bearerToken: String? = nil,
                connection: ConnectionInfo, responseHeaders: HTTPHeaders, logUser: String) async -> ProxyDecision {
        // One snapshot of the registrations for the whole decision (and its metric label).
        guard let directory = directory() else {
            count(cluster, in: nil, outcome: "clusters_not_loaded")
            return .respond(.kubernetesStatus(ProxyRefusal(
                .serviceUnavailable, reason: "clusters_not_loaded",
                message: "the managed clusters are not known yet; the API proxy needs get, list and watch on "
                    + "verrazzanomanagedclusters and secrets in namespace \(namespace)"), headers: responseHeaders))
        }
        let refusal: any ClusterRefusal
        do {
            let decision = try await access.decide(subject, cluster: cluster, directory: directory)
            if let denied = decision.refusal {
                refusal = denied
            } else {
                let endpoint = try directory.endpoint(for: cluster)
                let upstream = try upstream(for: endpoint)
                let relayed = RelayedRequestHead(
                    client: head, targetPrefix: endpoint.basePath + target, targetBytesDropped: head.targetLength,
                    filter: bearerToken == nil ? Self.droppedClientFields : Self.droppedClientFieldsAndCredential,
                    forwardedFor: .merged(appending: connection.remoteIP),
                    addedFields: bearerToken.map { HTTPHeaders([("Authorization", "Bearer \($0)")]) } ?? [:])
                count(cluster, in: directory, outcome: "forwarded")
                return .forward(ForwardPlan(upstream: upstream, relaying: relayed, responseHeaders: responseHeaders,
                                            logUser: logUser))
            }
        } catch let error as any ClusterRefusal {
            refusal = error
        } catch {
            refusal = ClusterAccessError(cluster: cluster, detail: "\(error)")
        }
        let answer = Self.proxyRefusal(refusal)
        count(cluster, in: directory, outcome: answer.reason ?? "refused")
        return .respond(.kubernetesStatus(answer, headers: responseHeaders))
    }

    /// The client fields never sent to a managed cluster: identity headers of an authenticating proxy and
    /// impersonation (refused before anyway). The client's `Authorization` goes as it came: it is the user's token.
    private static let droppedClientFields = ClientFieldFilter(names: [], prefixes: ["x-remote-", "impersonate-"])

    /// The same, and the client's `Authorization` (Basic, replaced by the token its password grant returned).
    private static let droppedClientFieldsAndCredential = ClientFieldFilter(names: ["authorization"], prefixes: ["x-remote-", "impersonate-"])

    /// The upstream for `endpoint`, made once per registration.
    func upstream(for endpoint: ClusterEndpoint) throws -> UpstreamEndpoint {
        if let known = endpoints.withLock({ $0[endpoint] }) { return known }
        let context = try UpstreamEndpoint.tlsContext(endpoint.tlsConfiguration())
        // SNI and the certificate check use the host name; an IP address is checked against the certificate's IP SANs.
        let made = UpstreamEndpoint(host: endpoint.host, port: endpoint.port, tlsContext: context)
        return endpoints.withLock { endpoints in
            // A registration that changed leaves its old upstream behind: keep the map to what is registered now.
            if endpoints.count > 1_000 { endpoints.removeAll() }
            if let raced = endpoints[endpoint] { return raced }
            endpoints[endpoint] = made
            return made
        }
    }

    /// A cluster refusal as the proxy's error answer (its reason label bounded for metrics).
    static func proxyRefusal(_ refusal: any ClusterRefusal) -> ProxyRefusal {
        let status = HTTPResponseStatus(statusCode: refusal.httpStatus)
        let label: String
        switch refusal.httpStatus {
        case 400: label = "bad_cluster"
        case 403: label = "cluster_forbidden"
        case 404: label = "cluster_not_found"
        default: label = "cluster_unavailable"
        }
        return ProxyRefusal(status, reason: label, message: refusal.message)
    }

    /// The answer when the managed cluster's proxy could not be reached or answered badly: 502 when its certificate
    /// was not trusted, 503 when it could not be reached, 502 for a connection it closed; each naming the cluster.
    static func upstreamFailure(_ error: any Error, cluster: ClusterName) -> ProxyRefusal {
        let underlying = (error as? UpstreamConnectFailure)?.underlying ?? error
        if underlying is NIOSSLError || underlying is BoringSSLError {
            return ProxyRefusal(.badGateway, reason: nil,
                                message: "the API proxy of cluster \"\(cluster)\" presented a certificate that is not trusted")
        }
        if error is UpstreamConnectFailure {
            return ProxyRefusal(.serviceUnavailable, reason: nil, message: "the API proxy of cluster \"\(cluster)\" is unreachable")
        }
        if let timeout = error as? UpstreamResponseTimeout {
            let seconds = timeout.timeout.nanoseconds / 1_000_000_000
            return ProxyRefusal(.gatewayTimeout, reason: nil,
                                message: "the API proxy of cluster \"\(cluster)\" did not start a response within \(seconds) s")
        }
        return ProxyRefusal(.badGateway, reason: nil,
                            message: "the API proxy of cluster \"\(cluster)\" closed the connection unexpectedly")
    }
}
