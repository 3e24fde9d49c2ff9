public import NIOCore
public import NIOSSL

extension KubeAPIEmulator {
    /// An authenticated identity as the double sees it (the same type RBAC evaluates).
    public typealias User = KubeUser

    /// What a request wants to do, for ``Authorization`` decisions.
    public struct AccessRequest: Sendable, Hashable {
        /// The effective (possibly impersonated) user.
        public var user: User
        /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`; for non-resource paths the lower-cased method.
        public var verb: String
        /// The API group of a resource request.
        public var group: String
        /// The resource of a resource request (empty for non-resource paths).
        public var resource: String
        /// The subresource, e.g. `exec`.
        public var subresource: String?
        /// The namespace.
        public var namespace: String?
        /// The object name.
        public var name: String?
        /// The request path.
        public var path: String
    }

    /// Decides which requests the effective user may make; others get a 403 `Forbidden` Status.
    ///
    /// With the closure rules (``allowAll``, ``allow(users:)``, ``custom(_:)``) discovery, `/version`, health
    /// endpoints and self reviews are always allowed, as by the default cluster roles `system:discovery`,
    /// `system:public-info-viewer` and `system:basic-user`, and impersonation is not checked. With ``rbac`` every
    /// request, and every impersonation, is decided by Kubernetes RBAC.
    public struct Authorization: Sendable {
        let decide: @Sendable (AccessRequest) -> Bool
        /// Whether requests are authorized by RBAC (see ``rbac``) instead of ``decide``.
        let isRBAC: Bool

        init(decide: @escaping @Sendable (AccessRequest) -> Bool, isRBAC: Bool = false) {
            self.decide = decide
            self.isRBAC = isRBAC
        }

        /// Everything is allowed.
        public static let allowAll = Authorization { _ in true }

        /// Only the named users are allowed anything.
        public static func allow(users: Set<String>) -> Authorization {
            Authorization { users.contains($0.user.name) }
        }

        /// A custom rule.
        public static func custom(_ decide: @escaping @Sendable (AccessRequest) -> Bool) -> Authorization {
            Authorization(decide: decide)
        }

        /// Kubernetes RBAC, as kube-apiserver with `--authorization-mode=RBAC`: every resource and non-resource
        /// request is decided by an ``RBACPolicy`` of ``BootstrapPolicy`` and the Roles, ClusterRoles, RoleBindings
        /// and ClusterRoleBindings stored in the emulator (rebuilt when one of those changes, with aggregation
        /// resolved). In this mode impersonation needs the `impersonate` verb, the review APIs answer from the
        /// policy, and writes of RBAC objects are checked for privilege escalation, all as kube-apiserver does.
        public static let rbac = Authorization(decide: { _ in false }, isRBAC: true)
    }

    /// A command run with `pods/NAME/exec`.
    public struct ExecRequest: Sendable, Hashable {
        /// The namespace.
        public var namespace: String
        /// The pod.
        public var pod: String
        /// The container, if named.
        public var container: String?
        /// The command and arguments.
        public var command: [String]
        /// Whether stdin is attached (it is echoed to stdout).
        public var stdin: Bool
        /// Whether a TTY was requested.
        public var tty: Bool

        /// Creates a request (what ``Configuration/exec`` receives).
        public init(namespace: String, pod: String, container: String? = nil, command: [String], stdin: Bool = false, tty: Bool = false) {
            self.namespace = namespace
            self.pod = pod
            self.container = container
            self.command = command
            self.stdin = stdin
            self.tty = tty
        }
    }

    /// The canned outcome of an exec.
    public struct ExecResult: Sendable, Hashable {
        /// Written on channel 1.
        public var stdout: String
        /// Written on channel 2.
        public var stderr: String
        /// 0 for success; otherwise a `NonZeroExitCode` Status is sent.
        public var exitCode: Int

        /// Creates a result.
        public init(stdout: String = "", stderr: String = "", exitCode: Int = 0) {
            self.stdout = stdout
            self.stderr = stderr
            self.exitCode = exitCode
        }

        /// The default: `echo ARGS` prints its arguments, `false` fails, anything else prints nothing.
        public static func `default`(_ request: ExecRequest) -> ExecResult {
            switch request.command.first {
            case "echo": ExecResult(stdout: request.command.dropFirst().joined(separator: " ") + "\n")
            case "false": ExecResult(exitCode: 1)
            default: ExecResult()
            }
        }
    }

    /// How the double behaves.
    public struct Configuration: Sendable {
        /// The bearer token accepted for ``tokenUser``.
        public var token: String = "test-token"
        /// Who ``token`` authenticates as (before impersonation).
        public var tokenUser = User(
            name: "system:serviceaccount:verrazzano-system:verrazzano-authproxy",
            groups: ["system:serviceaccounts", "system:serviceaccounts:verrazzano-system", "system:authenticated"]
        )
        /// More accepted tokens and who they authenticate as.
        public var additionalTokens: [String: User] = [:]
        /// TLS for the listener; `nil` serves plain HTTP.
        public var tlsConfiguration: TLSConfiguration?
        /// Who may do what.
        public var authorization: Authorization = .allowAll
        /// An artificial delay before every response (and before a stream's first byte).
        public var responseDelay: TimeAmount = .zero
        /// Resource types served in addition to ``ResourceType/builtIn`` (e.g. custom resources).
        public var additionalResources: [ResourceType] = []
        /// How many past events watches can resume from; older versions get 410 Gone.
        public var watchHistoryLimit: Int = 1000
        /// Whether every request is kept for ``KubeAPIEmulator/requests`` (method, URI, headers, body). Turn it
        /// off when driving many requests (a benchmark) so the double's memory does not grow with every request.
        public var recordsRequests = true
        /// What `exec` runs.
        public var exec: @Sendable (ExecRequest) -> ExecResult = { ExecResult.default($0) }
        /// Where `port-forward` connects for a pod port: a port on `127.0.0.1` (by default the same port),
        /// or `nil` to report an error on the connection's error stream instead.
        public var portForwardTarget: @Sendable (PortForwardRequest) -> Int? = { $0.port }
        /// The port to listen on (on `127.0.0.1`); 0 picks a free one.
        public var port: Int = 0
        /// The version `/version` reports.
        public var gitVersion: String = "v1.32.0"

        /// The defaults: token `test-token`, plain HTTP, everything allowed.
        public init() {}

        /// The defaults with TLS.
        public init(tlsConfiguration: TLSConfiguration?) {
            self.tlsConfiguration = tlsConfiguration
        }
    }
}
