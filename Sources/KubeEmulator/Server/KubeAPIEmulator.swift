public import Foundation
public import NIOCore
import Synchronization
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// An in-process Kubernetes API server for tests and the sandbox, real enough for `kubectl`.
///
/// It listens on `127.0.0.1` with an ephemeral port or ``Configuration/port`` (TLS optional), authenticates bearer tokens, honours
/// impersonation headers, records every request (unless ``Configuration/recordsRequests`` is off), stores objects in
/// memory (namespaces, configmaps, pods, RBAC objects, leases, events, ...) with the API server's write rules
/// (server-side apply with conflicts between field managers, JSON and merge patches, no-op writes, finalizers and
/// `deletionTimestamp`, delete preconditions, namespace deletion, the `status` subresource, `generateName`,
/// `dryRun`), can fail chosen requests on demand (or leave them unanswered, or stall their bodies), streams watches
/// and followed pod logs with chunked encoding, runs `exec` over WebSocket (`v5.channel.k8s.io`), and serves
/// `port-forward` (SPDY/3.1 `portforward.k8s.io`, tunnelled over WebSocket or on a plain `SPDY/3.1` upgrade) to
/// local ports chosen by ``Configuration/portForwardTarget``.
///
/// Request bodies are read as the API server reads them: JSON, and YAML (server-side apply bodies, `application/yaml`)
/// with go-yaml v2's rules, so an apply body kube-apiserver refuses (e.g. one with `\/`) is refused here too. Writes
/// check media types per verb, `fieldManager`, `dryRun`, `force` and `resourceVersion` as it does, and answer with
/// its status codes and messages.
///
/// ## Known differences from kube-apiserver
///
/// - Field management is simplified: objects carry no `managedFields`; ownership is kept per leaf field, with lists
///   as a whole (no list merge keys or sets, no atomic maps), so apply conflicts are approximated; fields a manager
///   stops applying are not removed; an apply merges maps and replaces lists and scalars.
/// - Strategic merge patches are read as JSON merge patches (no merging of lists by key, no `$patch` directives).
///   JSON patches take no negative array indices.
/// - No schemas: no defaulting, no pruning of unknown fields, no validation of values, names or labels
///   (`fieldValidation=Strict` finds nothing), no `metadata.generation`, one version per type. Custom resources are
///   told apart from built-in types by their group (see ``ResourceType``).
/// - No admission beyond namespace lifecycle: no quotas, no webhooks; authorization is the configured
///   ``Authorization`` rule. With ``Authorization/rbac`` it is kube-apiserver's RBAC (see ``rbacPolicy``), with its
///   impersonation checks and its escalation checks when writing Roles and bindings; with the closure modes none of
///   these.
/// - No controllers: no garbage collection by `ownerReferences` (`propagationPolicy` is ignored); aggregated
///   ClusterRoles (`aggregationRule`) are resolved by the RBAC policy but their stored `rules` are not filled in;
///   deleting a Namespace removes its objects at once, whatever their finalizers; `gracePeriodSeconds` is ignored.
/// - YAML bodies: repeated mapping keys are refused (go-yaml v2 keeps the last), `<<` merge keys are not merged,
///   explicit tags other than `!!str` are ignored, and messages for YAML errors other than escapes are approximated.
/// - Requests and responses: bodies are JSON or YAML (protobuf only for `SelfSubjectAccessReview`, `SelfSubjectRulesReview`
///   and what kubectl's generators create: Namespaces and RBAC objects; no CBOR);
///   responses are JSON (no `Table`, protobuf or CBOR); no `deletecollection`; lists are not paginated (`limit` and
///   `continue` are ignored); label selectors know `=`, `==`, `!=`, `key` and `!key` (not `in`, `notin`), field
///   selectors `metadata.name` and `metadata.namespace`; watches send no bookmarks. Messages for malformed JSON
///   bodies are shorter than the API server's.
///
/// ```swift
/// let ca = try TestCertificateAuthority()
/// let server = try await KubeAPIEmulator.start(
///     configuration: .init(tlsConfiguration: try ca.makeServerCertificate().serverTLSConfiguration()))
/// defer { Task { try await server.shutdown() } }
/// // ... point a client at server.baseURL with token server.configuration.token ...
/// let received = server.requests
/// ```
public final class KubeAPIEmulator: Sendable {
    /// The configuration it was started with.
    public let configuration: Configuration
    /// The port it listens on (on 127.0.0.1): ``Configuration/port``, or the one picked when that is 0.
    public let port: Int
    let channel: any Channel
    let state: Mutex<KubeEmulatorState>
    let resourceTypes: [ResourceType]

    private init(configuration: Configuration, channel: any Channel, state: consuming KubeEmulatorState) {
        self.configuration = configuration
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.state = Mutex(state)
        self.resourceTypes = ResourceType.builtIn + configuration.additionalResources
    }

    /// Starts a double on `127.0.0.1`, on ``Configuration/port`` (by default an ephemeral one), on NIO's singleton
    /// event loop group by default.
    public static func start(
        configuration: Configuration = Configuration(),
        eventLoopGroup: (any EventLoopGroup)? = nil
    ) async throws -> KubeAPIEmulator {
        let eventLoopGroup = eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
        let sslContext = try configuration.tlsConfiguration.map { try NIOSSLContext(configuration: $0) }
        let state = KubeEmulatorState(authorization: configuration.authorization, responseDelay: configuration.responseDelay)
        let server = KubeEmulatorServerBox()
        let channel = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                guard let double = server.double else {
                    return channel.close()
                }
                return double.initialize(channel: channel, sslContext: sslContext)
            }
            .bind(host: "127.0.0.1", port: configuration.port)
            .get()
        let double = KubeAPIEmulator(configuration: configuration, channel: channel, state: state)
        server.double = double
        double.seed()
        return double
    }

    /// Stops listening, ends every open stream, closes the connections of held requests and closes the listener.
    public func shutdown() async throws {
        let (writers, held) = self.state.withLock { state in
            let writers = state.watchers.values.map(\.writer) + state.logFollowers.values.map(\.writer)
            state.watchers.removeAll()
            state.logFollowers.removeAll()
            let held = Array(state.heldConnections.values)
            state.heldConnections.removeAll()
            return (writers, held)
        }
        for writer in writers { writer.end() }
        for channel in held { channel.close(promise: nil) }
        try await self.channel.close()
    }

    /// `https` or `http`.
    public var scheme: String { self.configuration.tlsConfiguration == nil ? "http" : "https" }

    /// `https://127.0.0.1:PORT` (or `http://...`).
    public var baseURL: String { "\(self.scheme)://127.0.0.1:\(self.port)" }

    // MARK: - Recorded requests

    /// Every request received so far, in order (none when ``Configuration/recordsRequests`` is off).
    public var requests: [KubeRecordedRequest] { self.state.withLock { $0.requests } }

    /// Forgets the recorded requests.
    public func clearRequests() { self.state.withLock { $0.requests.removeAll() } }

    /// The number of watches currently streaming (to wait until a client's watch is established).
    public var activeWatchCount: Int { self.state.withLock { $0.watchers.count } }

    /// The number of followed log streams currently open.
    public var activeLogFollowerCount: Int { self.state.withLock { $0.logFollowers.count } }

    func record(_ request: @autoclosure () -> KubeRecordedRequest) {
        guard self.configuration.recordsRequests else { return }
        let request = request()
        self.state.withLock { $0.requests.append(request) }
    }

    // MARK: - Behaviour at run time

    /// Replaces the authorization rule.
    public func setAuthorization(_ authorization: Authorization) {
        self.state.withLock { $0.authorization = authorization }
    }

    /// Replaces the artificial response delay.
    public func setResponseDelay(_ delay: TimeAmount) {
        self.state.withLock { $0.responseDelay = delay }
    }

    /// Writes a kubeconfig for this double (context `double`) and returns its path.
    ///
    /// - Parameters:
    ///   - directory: Where to write `kubeconfig`.
    ///   - certificateAuthorityFile: The CA file to trust (for TLS).
    ///   - token: The bearer token; defaults to the configured one.
    @discardableResult
    public func writeKubeconfig(
        in directory: URL,
        certificateAuthorityFile: URL? = nil,
        token: String? = nil,
        namespace: String = "default"
    ) throws -> URL {
        let ca = certificateAuthorityFile.map { "\n    certificate-authority: \($0.path)" } ?? ""
        let text = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: double
              cluster:
                server: \(self.baseURL)\(ca)
            users:
            - name: double
              user:
                token: \(token ?? self.configuration.token)
            contexts:
            - name: double
              context:
                cluster: double
                user: double
                namespace: \(namespace)
            current-context: double

            """
        let url = directory.appendingPathComponent("kubeconfig")
        try Data(text.utf8).write(to: url)
        return url
    }

    // MARK: - Pipeline

    private func initialize(channel: any Channel, sslContext: NIOSSLContext?) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            let sync = channel.pipeline.syncOperations
            if let sslContext {
                try sync.addHandler(NIOSSLServerHandler(context: sslContext))
            }
            let upgrader = self.makeWebSocketUpgrader()
            try sync.configureHTTPServerPipeline(
                withPipeliningAssistance: true,
                withServerUpgrade: (upgraders: [upgrader, self.makeSPDYUpgrader()], completionHandler: { _ in }),
                withErrorHandling: true
            )
            try sync.addHandler(KubeEmulatorHTTPHandler(server: self), name: KubeEmulatorHTTPHandler.name)
        }
    }
}

/// Lets the child channel initializer reach the double created after binding.
final class KubeEmulatorServerBox: @unchecked Sendable {
    private let lock = NSLock()
    private var _double: KubeAPIEmulator?

    var double: KubeAPIEmulator? {
        get { self.lock.withLock { self._double } }
        set { self.lock.withLock { self._double = newValue } }
    }
}
