import Foundation
import KubeEmulator
import KubeModels
import Logging
import NIOSSL
import VerrazzanoRBAC

/// The Kubernetes the sandbox's proxy and controller use: the cluster of `--kubeconfig`, or an in-process
/// ``KubeEmulator/KubeAPIEmulator`` that enforces RBAC for real, with the Verrazzano CRDs, demo pods in namespace
/// `hello` and a `VerrazzanoProject` `hello` for the RBAC controller to reconcile.
///
/// In the emulator, the API proxy is `system:serviceaccount:verrazzano-system:verrazzano-authproxy`, allowed to
/// impersonate users and groups and nothing else (as `deploy/base/api-proxy.yaml` grants); the controller is
/// `system:serviceaccount:verrazzano-system:vzauth-rbac-controller`, bound to `cluster-admin` (the sandbox's only
/// shortcut: `deploy/base/rbac-controller.yaml` has its least-privilege role); `kube/admin.kubeconfig` is a
/// `system:masters` user for looking around.
struct SandboxKubernetes: Sendable {
    /// The API server's URL.
    let url: String
    /// The API proxy's kubeconfig.
    let proxyKubeconfig: String
    /// The RBAC controller's kubeconfig.
    let controllerKubeconfig: String
    /// An admin kubeconfig of the emulator (`nil` with a real cluster).
    let adminKubeconfig: String?
    /// Stops the emulator.
    let stop: @Sendable () async -> Void

    static let proxyAccount = "system:serviceaccount:verrazzano-system:verrazzano-authproxy"
    static let controllerAccount = "system:serviceaccount:verrazzano-system:vzauth-rbac-controller"

    /// The cluster of `kubeconfig`, or a started emulator on `port` serving `tls` (its certificate and key files).
    static func start(folder: SandboxFolder, port: Int, kubeconfig: String?, tls: (certificate: String, key: String),
                      caFile: String, logger: Logger) async throws -> SandboxKubernetes {
        if let kubeconfig {
            let path = (kubeconfig as NSString).expandingTildeInPath
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw SandboxError("cannot read --kubeconfig \(path)")
            }
            logger.notice("using the cluster of the kubeconfig; its user must be allowed to impersonate users and groups, and to manage RBAC and the Verrazzano resources", metadata: ["kubeconfig": "\(path)"])
            return SandboxKubernetes(url: "(the cluster of \(path))", proxyKubeconfig: path, controllerKubeconfig: path,
                                     adminKubeconfig: nil, stop: {})
        }
        let tokens = (admin: randomToken(), proxy: randomToken(), controller: randomToken())
        var configuration = KubeAPIEmulator.Configuration(tlsConfiguration: TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.key, format: .pem))))
        configuration.port = port
        configuration.authorization = .rbac
        configuration.token = tokens.admin
        configuration.tokenUser = KubeUser(name: "sandbox-admin", groups: [KubeUser.privilegedGroup, KubeUser.authenticatedGroup])
        let accountGroups = ["system:serviceaccounts", "system:serviceaccounts:verrazzano-system", KubeUser.authenticatedGroup]
        configuration.additionalTokens = [
            tokens.proxy: KubeUser(name: proxyAccount, groups: accountGroups),
            tokens.controller: KubeUser(name: controllerAccount, groups: accountGroups),
        ]
        configuration.additionalResources = KubeAPIEmulator.ResourceType.verrazzanoResources
        configuration.exec = KubeEmulatorDemo.exec
        configuration.recordsRequests = false
        let web = try await KubeEmulatorDemoWebServer.start()
        configuration.portForwardTarget = { _ in web.port }
        let emulator: KubeAPIEmulator
        do {
            emulator = try await KubeAPIEmulator.start(configuration: configuration)
        } catch {
            try? await web.shutdown()
            throw SandboxError("the Kubernetes emulator cannot listen on 127.0.0.1:\(port): \(error); choose another with --kubernetes-port")
        }
        do {
            try emulator.seed(KubeEmulatorDemo.standard)
            try seedAccessAndProject(emulator)
        } catch {
            try? await emulator.shutdown()
            try? await web.shutdown()
            throw error
        }
        let url = "https://127.0.0.1:\(emulator.port)"
        func writeKubeconfig(_ name: String, token: String) throws -> String {
            try folder.write("""
                # The sandbox's emulated Kubernetes API server, as \(name) (development only).
                apiVersion: v1
                kind: Config
                clusters: [{name: sandbox, cluster: {server: "\(url)", certificate-authority: "\(caFile)"}}]
                users: [{name: \(name), user: {token: \(token)}}]
                contexts: [{name: sandbox, context: {cluster: sandbox, user: \(name)}}]
                current-context: sandbox

                """, to: "kube/\(name).kubeconfig")
        }
        return SandboxKubernetes(
            url: url, proxyKubeconfig: try writeKubeconfig("api-proxy", token: tokens.proxy),
            controllerKubeconfig: try writeKubeconfig("rbac-controller", token: tokens.controller),
            adminKubeconfig: try writeKubeconfig("admin", token: tokens.admin),
            stop: {
                try? await emulator.shutdown()
                try? await web.shutdown()
            })
    }

    /// What the proxy and the controller may do, and the project `hello` for the controller to reconcile.
    private static func seedAccessAndProject(_ emulator: KubeAPIEmulator) throws {
        let rbac = "rbac.authorization.k8s.io"
        for namespace in ["verrazzano-system", VerrazzanoProject.projectsNamespace] {
            try emulator.upsert(Namespace(metadata: KubeObjectMeta(name: namespace)), resource: "namespaces")
        }
        try emulator.upsert(ClusterRole(metadata: KubeObjectMeta(name: "verrazzano-authproxy"), rules: [
            PolicyRule(apiGroups: [""], resources: ["users", "groups"], verbs: ["impersonate"]),
        ]), resource: "clusterroles", group: rbac)
        try emulator.upsert(ClusterRoleBinding(metadata: KubeObjectMeta(name: "verrazzano-authproxy"),
                                               roleRef: .clusterRole("verrazzano-authproxy"),
                                               subjects: [.serviceAccount("verrazzano-authproxy", namespace: "verrazzano-system")]),
                            resource: "clusterrolebindings", group: rbac)
        try emulator.upsert(ClusterRoleBinding(metadata: KubeObjectMeta(name: "vzauth-rbac-controller"),
                                               roleRef: .clusterRole("cluster-admin"),
                                               subjects: [.serviceAccount("vzauth-rbac-controller", namespace: "verrazzano-system")]),
                            resource: "clusterrolebindings", group: rbac)
        let project = VerrazzanoProject(
            apiVersion: "clusters.verrazzano.io/v1alpha1",
            metadata: KubeObjectMeta(name: "hello", namespace: VerrazzanoProject.projectsNamespace),
            spec: .init(placement: .init(clusters: [.init(name: "local")]),
                        template: .init(namespaces: [.init(metadata: KubeObjectMeta(name: "hello"))])))
        try emulator.upsert(project, resource: "verrazzanoprojects", group: "clusters.verrazzano.io")
    }

    private static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(generator.next() as UInt64, radix: 16) }.joined()
    }
}
