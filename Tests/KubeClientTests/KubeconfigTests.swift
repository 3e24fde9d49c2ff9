import Foundation
import KubeClient
import NIOSSL
import Testing
import VZAuthTestSupport

@Suite("Kubeconfig parsing")
struct KubeconfigTests {
    /// A kubeconfig with one cluster, one user and one context, the given cluster and user fields indented below.
    static func kubeconfig(server: String = "https://10.0.0.1:6443", cluster: String = "", user: String, currentContext: String = "main") -> String {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: c1
          cluster:
            server: \(server)
        \(cluster)
        users:
        - name: u1
          user:
        \(user)
        contexts:
        - name: main
          context:
            cluster: c1
            user: u1
            namespace: team-a
        - name: other
          context:
            cluster: c1
            user: missing
        current-context: \(currentContext)
        """
    }

    @Test("a static token becomes a Bearer header, with the server address and namespace")
    func staticToken() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("config", Self.kubeconfig(user: "    token: abc123"))
        let connection = try KubeConnection.fromKubeconfig(path: path)
        #expect(connection.authorizationHeaderValue() == "Bearer abc123")
        #expect(connection.host == "10.0.0.1")
        #expect(connection.port == 6443)
        #expect(connection.usesTLS)
        #expect(connection.hostIsIPAddress)
        #expect(connection.verificationHostname == nil)
        #expect(connection.namespace == "team-a")
        #expect(connection.baseURL == "https://10.0.0.1:6443")
    }

    @Test("a relative tokenFile is resolved against the kubeconfig's directory")
    func tokenFileRelative() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("secrets/token", "from-file\n")
        let path = try directory.write("config", Self.kubeconfig(user: "    tokenFile: secrets/token"))
        let connection = try KubeConnection.fromKubeconfig(path: path)
        #expect(connection.authorizationHeaderValue() == "Bearer from-file")
        guard case .tokenFile(let file) = connection.credential else {
            Issue.record("expected a token file credential")
            return
        }
        #expect(file.path == directory.path("secrets/token"))
    }

    @Test("basic auth from username and password")
    func basicAuth() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("config", Self.kubeconfig(user: "    username: admin\n    password: s3cret"))
        let connection = try KubeConnection.fromKubeconfig(path: path)
        #expect(connection.authorizationHeaderValue() == "Basic \("admin:s3cret".base64)")
    }

    @Test("CA and client certificate from -data fields, with tls-server-name")
    func certificateData() throws {
        let ca = try TestCertificateAuthority()
        defer { ca.removeFiles() }
        let client = try ca.makeClientCertificate(commonName: "alice", organizations: ["devs"])
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("config", Self.kubeconfig(
            server: "https://[fd00::1]:8443/prefix/",
            cluster: "    certificate-authority-data: \(ca.certificatePEM.base64)\n    tls-server-name: api.internal",
            user: "    client-certificate-data: \(client.certificatePEM.base64)\n    client-key-data: \(client.privateKeyPEM.base64)"
        ))
        let connection = try KubeConnection.fromKubeconfig(path: path)
        #expect(connection.host == "fd00::1")
        #expect(connection.port == 8443)
        #expect(connection.basePath == "/prefix")
        #expect(connection.baseURL == "https://[fd00::1]:8443/prefix")
        #expect(connection.verificationHostname == "api.internal")
        #expect(connection.authorizationHeaderValue() == nil)
        let tls = try #require(connection.tlsConfiguration)
        #expect(tls.certificateChain.count == 1)
        #expect(tls.privateKey != nil)
        guard case .certificates(let roots)? = tls.trustRoots else {
            Issue.record("expected explicit trust roots")
            return
        }
        #expect(roots.count == 1)
        #expect(tls.certificateVerification == .fullVerification)
    }

    @Test("CA and client certificate from relative file paths")
    func certificateFiles() throws {
        let ca = try TestCertificateAuthority()
        defer { ca.removeFiles() }
        let client = try ca.makeClientCertificate(commonName: "alice")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("pki/ca.pem", ca.certificatePEM)
        try directory.write("pki/client.pem", client.certificatePEM)
        try directory.write("pki/client.key", client.privateKeyPEM)
        let path = try directory.write("kube/config", Self.kubeconfig(
            server: "https://kube.example.com",
            cluster: "    certificate-authority: ../pki/ca.pem",
            user: "    client-certificate: ../pki/client.pem\n    client-key: ../pki/client.key"
        ))
        let connection = try KubeConnection.fromKubeconfig(path: path)
        #expect(connection.port == 443)
        #expect(connection.verificationHostname == "kube.example.com")
        #expect(connection.tlsConfiguration?.certificateChain.count == 1)
    }

    @Test("a missing CA file is reported with its path and field")
    func missingCAFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("config", Self.kubeconfig(cluster: "    certificate-authority: nope.pem", user: "    token: x"))
        let error = try #require(throws: KubeConfigError.self) { try KubeConnection.fromKubeconfig(path: path) }
        #expect(error == .unreadableFile)
        #expect(error.file == directory.path("nope.pem"))
        #expect(error.field == "clusters[c1].cluster.certificate-authority")
    }

    @Test("insecure-skip-tls-verify turns verification off; with a CA it is refused")
    func insecure() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("config", Self.kubeconfig(cluster: "    insecure-skip-tls-verify: true", user: "    token: x"))
        #expect(try KubeConnection.fromKubeconfig(path: path).tlsConfiguration?.certificateVerification == CertificateVerification.none)

        let both = try directory.write("both", Self.kubeconfig(
            cluster: "    insecure-skip-tls-verify: true\n    certificate-authority-data: \("x".base64)", user: "    token: x"))
        #expect(throws: KubeConfigError.invalidValue) { try KubeConnection.fromKubeconfig(path: both) }
    }

    @Test("plain http servers have no TLS configuration")
    func plainHTTP() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("config", Self.kubeconfig(server: "http://localhost:8080", user: "    token: x"))
        let connection = try KubeConnection.fromKubeconfig(path: path)
        #expect(!connection.usesTLS)
        #expect(connection.tlsConfiguration == nil)
        #expect(connection.verificationHostname == "localhost")
    }

    @Test("a missing context, cluster or user is a typed error naming file and field")
    func missingContext() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("config", Self.kubeconfig(user: "    token: x"))
        let error = try #require(throws: KubeConfigError.self) { try KubeConnection.fromKubeconfig(path: path, context: "prod") }
        #expect(error == .contextNotFound)
        #expect(error.file == path)
        #expect(error.message.contains("\"prod\""))
        let userError = try #require(throws: KubeConfigError.self) { try KubeConnection.fromKubeconfig(path: path, context: "other") }
        #expect(userError == .userNotFound)
        #expect(userError.field == "contexts[other].context.user")

        let noCurrent = try directory.write("nocurrent", Self.kubeconfig(user: "    token: x", currentContext: "\"\""))
        #expect(throws: KubeConfigError.contextNotFound) { try KubeConnection.fromKubeconfig(path: noCurrent) }
    }

    @Test("an exec plugin that cannot be run is reported naming the field; auth-provider users are refused")
    func execRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("config", Self.kubeconfig(user: """
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: /nonexistent/aws
                  args: [eks, get-token]
            """))
        let error = try #require(throws: KubeConfigError.self) { try KubeConnection.fromKubeconfig(path: path) }
        #expect(error == .invalidValue)
        #expect(error.field == "users[u1].user.exec")
        #expect(error.file == path)
        #expect(error.description.contains("cannot run the credential plugin /nonexistent/aws"), "\(error)")

        let provider = try directory.write("provider", Self.kubeconfig(user: "    auth-provider:\n      name: oidc"))
        let providerError = try #require(throws: KubeConfigError.self) { try KubeConnection.fromKubeconfig(path: provider) }
        #expect(providerError.field == "users[u1].user.auth-provider")
    }

    @Test("unreadable and malformed files")
    func badFiles() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(throws: KubeConfigError.unreadableFile) { try KubeConnection.fromKubeconfig(path: directory.path("absent")) }
        let path = try directory.write("config", "clusters: {this is: [not, a kubeconfig")
        #expect(throws: KubeConfigError.invalidDocument) { try KubeConnection.fromKubeconfig(path: path) }
    }
}
