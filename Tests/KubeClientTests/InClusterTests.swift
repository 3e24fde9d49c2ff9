import Foundation
import KubeClient
import NIOSSL
import Testing
import VZAuthTestSupport

@Suite("In-cluster configuration")
struct InClusterTests {
    @Test("service host, port, CA, token and namespace are read", arguments: [
        ("10.96.0.1", "https://10.96.0.1:443"),
        ("fd00:10:96::1", "https://[fd00:10:96::1]:443"),
    ])
    func inCluster(host: String, expectedURL: String) throws {
        let ca = try TestCertificateAuthority()
        defer { ca.removeFiles() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("ca.crt", ca.certificatePEM)
        try directory.write("token", "sa-token\n")
        try directory.write("namespace", "verrazzano-system")
        let connection = try KubeConnection.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": "443"],
            serviceAccountDirectory: directory.url.path
        )
        #expect(connection.baseURL == expectedURL)
        #expect(connection.host == host)
        #expect(connection.usesTLS)
        #expect(connection.authorizationHeaderValue() == "Bearer sa-token")
        #expect(connection.namespace == "verrazzano-system")
        guard case .certificates(let roots)? = connection.tlsConfiguration?.trustRoots else {
            Issue.record("expected the service-account CA as trust root")
            return
        }
        #expect(roots.count == 1)
    }

    @Test("outside a cluster the error says so; missing files are named")
    func notInCluster() throws {
        #expect(throws: KubeConfigError.notInCluster) {
            try KubeConnection.inCluster(environment: [:], serviceAccountDirectory: "/nonexistent")
        }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let error = try #require(throws: KubeConfigError.self) {
            try KubeConnection.inCluster(
                environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"],
                serviceAccountDirectory: directory.url.path
            )
        }
        #expect(error == .unreadableFile)
        #expect(error.file == directory.path("ca.crt"))
        #expect(throws: KubeConfigError.invalidValue) {
            try KubeConnection.inCluster(
                environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "https"],
                serviceAccountDirectory: directory.url.path
            )
        }
    }
}

/// Without a kubeconfig named: the order kubectl uses.
@Suite("default kubeconfig")
struct DefaultKubeconfigTests {
    @Test("$KUBECONFIG's first file, else ~/.kube/config when it exists, else none")
    func order() {
        #expect(KubeConnection.defaultSource(environment: ["KUBECONFIG": "/a/one:/b/two", "HOME": "/home/u"],
                                             fileExists: { _ in true }) == .environment(path: "/a/one"))
        #expect(KubeConnection.defaultSource(environment: ["HOME": "/home/u"], fileExists: { $0 == "/home/u/.kube/config" })
            == .home(path: "/home/u/.kube/config"))
        #expect(KubeConnection.defaultSource(environment: ["HOME": "/home/u"], fileExists: { _ in false }) == .none)
        #expect(KubeConnection.defaultSource(environment: ["KUBECONFIG": ""], fileExists: { _ in false }) == .none)
        #expect(KubeConnection.environmentKubeconfig(["KUBECONFIG": "::/c/three:/d"]) == "/c/three")
    }

    @Test("in a pod the service account wins; outside one the kubeconfig is read")
    func podFirst() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-default-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("config").path
        try """
            apiVersion: v1
            kind: Config
            clusters: [{name: c, cluster: {server: "http://127.0.0.1:6443"}}]
            users: [{name: u, user: {token: t}}]
            contexts: [{name: c, context: {cluster: c, user: u, namespace: ns}}]
            current-context: c
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let source = KubeConnection.defaultSource(environment: ["KUBECONFIG": path])
        #expect(source == .environment(path: path))
        #expect(try KubeConnection.fromKubeconfig(path: try #require(source.kubeconfig)).namespace == "ns")
        #expect(KubeConnection.defaultSource(environment: ["HOME": "/nonexistent"]) == .none)
        #expect(throws: KubeConfigError.notInCluster) { try KubeConnection.inCluster(environment: ["HOME": "/nonexistent"]) }
        // In a pod (KUBERNETES_SERVICE_HOST set) the kubeconfig is not used: the service account files are read.
        let inPod = ["KUBECONFIG": path, "KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        #expect(KubeConnection.defaultSource(environment: inPod) == .inCluster)
        #expect(throws: KubeConfigError.self) { try KubeConnection.inCluster(environment: inPod) }
    }
}
