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
