import Foundation
import KubeModels
import Multicluster
import NIOSSL
import Testing
import VZAuthTestSupport

@Suite("Managed cluster models and the cluster directory")
struct ClusterDirectoryTests {
    static let managed1 = ClusterName("managed1")!

    @Test("a VMC decodes name, spec.caSecret and status.apiUrl, ignoring everything else")
    func decodeVMC() throws {
        let json = """
            {"apiVersion":"clusters.verrazzano.io/v1alpha1","kind":"VerrazzanoManagedCluster",
             "metadata":{"name":"managed1","namespace":"verrazzano-mc","resourceVersion":"7","managedFields":[{"manager":"x"}]},
             "spec":{"description":"test","caSecret":"ca-secret-managed1","managedClusterManifestSecret":"m"},
             "status":{"apiUrl":"https://verrazzano.managed1.example.com","conditions":[{"type":"Ready","status":"True"}],
                       "prometheusHost":"p"}}
            """
        let vmc = try JSONDecoder().decode(VerrazzanoManagedCluster.self, from: Data(json.utf8))
        #expect(vmc.name == "managed1")
        #expect(vmc.metadata.namespace == "verrazzano-mc")
        #expect(vmc.metadata.resourceVersion == "7")
        #expect(vmc.spec.caSecret == "ca-secret-managed1")
        #expect(vmc.status.apiUrl == "https://verrazzano.managed1.example.com")
    }

    @Test("a new VMC without spec or status decodes as not registered")
    func decodeBareVMC() throws {
        let vmc = try JSONDecoder().decode(VerrazzanoManagedCluster.self, from: Data(#"{"metadata":{"name":"m2"}}"#.utf8))
        #expect(vmc.spec.caSecret == nil)
        #expect(vmc.status.apiUrl == nil)
        #expect(ClusterDirectory(clusters: [vmc], secrets: [])[ClusterName("m2")!] == .notRegistered)
    }

    @Test("a VMC encodes back to its API shape")
    func encodeVMC() throws {
        let vmc = VerrazzanoManagedCluster(name: "m", caSecret: "s", apiUrl: "https://m")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(vmc), as: UTF8.self)
        #expect(text == #"{"apiVersion":"clusters.verrazzano.io/v1alpha1","kind":"VerrazzanoManagedCluster","metadata":{"name":"m","namespace":"verrazzano-mc"},"spec":{"caSecret":"s"},"status":{"apiUrl":"https://m"}}"#)
        #expect(try VerrazzanoManagedCluster.resource.path(namespace: "verrazzano-mc", name: "m")
            == "/apis/clusters.verrazzano.io/v1alpha1/namespaces/verrazzano-mc/verrazzanomanagedclusters/m")
    }

    @Test("a Secret keeps only the PEM of its cacrt key")
    func decodeSecret() throws {
        let pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
        let json = """
            {"apiVersion":"v1","kind":"Secret","metadata":{"name":"ca","namespace":"verrazzano-mc"},"type":"Opaque",
             "data":{"cacrt":"\(Data(pem.utf8).base64EncodedString())","password":"c2VjcmV0"}}
            """
        let secret = try JSONDecoder().decode(ClusterCASecret.self, from: Data(json.utf8))
        #expect(secret.name == "ca")
        #expect(secret.caCertificatePEM == Array(pem.utf8))
        #expect(!secret.caKeyUnreadable)
        #expect(!String(describing: secret).contains("c2VjcmV0"), "other keys are not kept")

        let none = try JSONDecoder().decode(ClusterCASecret.self, from: Data(#"{"metadata":{"name":"x"},"data":null}"#.utf8))
        #expect(none.caCertificatePEM == nil)
        let bad = try JSONDecoder().decode(ClusterCASecret.self, from: Data(#"{"metadata":{"name":"x"},"data":{"cacrt":"!!"}}"#.utf8))
        #expect(bad.caKeyUnreadable)
    }

    @Test("a VMC with an https apiUrl and no caSecret is ready with the system roots")
    func systemRoots() throws {
        let directory = ClusterDirectory(
            clusters: [VerrazzanoManagedCluster(name: "managed1", apiUrl: "https://proxy.managed1.example.com/")], secrets: [])
        let endpoint = try directory.endpoint(for: Self.managed1)
        #expect(endpoint.url == "https://proxy.managed1.example.com")
        #expect(endpoint.host == "proxy.managed1.example.com")
        #expect(endpoint.port == 443)
        #expect(endpoint.basePath == "")
        #expect(endpoint.trust == .systemRoots)
        let tls = endpoint.tlsConfiguration()
        #expect(tls.certificateVerification == .fullVerification)
        #expect(tls.trustRoots == .default)
    }

    @Test("port, path and IPv6 hosts are read from apiUrl", arguments: [
        ("https://10.0.0.5:8443", "10.0.0.5", 8443, ""),
        ("https://[fd00::1]:9443/proxy/", "fd00::1", 9443, "/proxy"),
        ("HTTPS://Proxy.Example.com/a/b", "Proxy.Example.com", 443, "/a/b"),
    ])
    func urlParts(_ url: String, _ host: String, _ port: Int, _ basePath: String) throws {
        let directory = ClusterDirectory(clusters: [VerrazzanoManagedCluster(name: "managed1", apiUrl: url)], secrets: [])
        let endpoint = try directory.endpoint(for: Self.managed1)
        #expect(endpoint.host == host)
        #expect(endpoint.port == port)
        #expect(endpoint.basePath == basePath)
    }

    @Test("the CA comes from the Secret named by spec.caSecret, and only it is trusted")
    func caSecret() throws {
        let authority = try TestCertificateAuthority()
        defer { authority.removeFiles() }
        let directory = ClusterDirectory(
            clusters: [VerrazzanoManagedCluster(name: "managed1", caSecret: "ca-managed1", apiUrl: "https://m1.example.com")],
            secrets: [ClusterCASecret(name: "ca-managed1", caCertificatePEM: authority.certificatePEM),
                      ClusterCASecret(name: "other", caCertificatePEM: nil)])
        let endpoint = try directory.endpoint(for: Self.managed1)
        let certificate = try authority.nioCertificate()
        #expect(endpoint.trust == .certificateAuthority(secret: "ca-managed1", certificates: [certificate]))
        let tls = endpoint.tlsConfiguration()
        #expect(tls.trustRoots == .certificates([certificate]))
        #expect(tls.certificateVerification == .fullVerification)
    }

    @Test("a missing or unusable CA Secret makes the cluster unusable, never insecure or system-trusted")
    func caProblems() throws {
        let cluster = VerrazzanoManagedCluster(name: "managed1", caSecret: "ca", apiUrl: "https://m1.example.com")
        let cases: [([ClusterCASecret], ClusterProblem, Int)] = [
            ([], .caSecretMissing("ca"), 503),
            ([ClusterCASecret(name: "other", caCertificatePEM: "x")], .caSecretMissing("ca"), 503),
            ([ClusterCASecret(name: "ca", namespace: "elsewhere", caCertificatePEM: "x")], .caSecretMissing("ca"), 503),
            ([ClusterCASecret(name: "ca", caCertificatePEM: nil)], .caKeyMissing("ca"), 502),
            ([ClusterCASecret(name: "ca", caCertificatePEM: "not a certificate")], .caUnreadable("ca"), 502),
        ]
        for (secrets, problem, status) in cases {
            let directory = ClusterDirectory(clusters: [cluster], secrets: secrets)
            #expect(directory[Self.managed1] == .unusable(problem))
            let error = #expect(throws: ClusterLookupError.self) { try directory.endpoint(for: Self.managed1) }
            #expect(error?.httpStatus == status)
            #expect(error?.message == "cluster \"managed1\" cannot be reached: its registration is incomplete or invalid")
        }
    }

    @Test("an apiUrl that is not https is unusable with a clear reason", arguments: [
        ("http://m1.example.com", ClusterProblem.apiURLNotHTTPS("http://m1.example.com")),
        ("ftp://m1.example.com", .apiURLNotHTTPS("ftp://m1.example.com")),
        ("m1.example.com", .invalidAPIURL("m1.example.com")),
        ("https://", .invalidAPIURL("https://")),
        ("https://user:pw@m1.example.com", .invalidAPIURL("https://user:pw@m1.example.com")),
        ("https://m1.example.com?x=1", .invalidAPIURL("https://m1.example.com?x=1")),
        ("https://m1.example.com:0", .invalidAPIURL("https://m1.example.com:0")),
    ])
    func invalidURL(_ url: String, _ problem: ClusterProblem) {
        let directory = ClusterDirectory(clusters: [VerrazzanoManagedCluster(name: "managed1", apiUrl: url)], secrets: [])
        #expect(directory[Self.managed1] == .unusable(problem))
    }

    @Test("problems explain themselves with the VMC's field names")
    func problemDescriptions() {
        #expect(ClusterProblem.apiURLNotHTTPS("http://x").description == "status.apiUrl \"http://x\" is not an https URL")
        #expect(ClusterProblem.caSecretMissing("ca").description == "spec.caSecret names Secret \"ca\", which does not exist")
        #expect(ClusterProblem.caKeyMissing("ca").description == "Secret \"ca\" named by spec.caSecret has no key \"cacrt\"")
    }

    @Test("not registered, unknown and other namespaces map to 503 and 404 naming the cluster")
    func lookups() {
        let directory = ClusterDirectory(clusters: [
            VerrazzanoManagedCluster(name: "managed1", apiUrl: ""),
            VerrazzanoManagedCluster(name: "managed2", namespace: "elsewhere", apiUrl: "https://m2"),
        ], secrets: [])
        #expect(directory.names == [Self.managed1])
        let notRegistered = #expect(throws: ClusterLookupError.self) { try directory.endpoint(for: Self.managed1) }
        #expect(notRegistered?.httpStatus == 503)
        #expect(notRegistered?.reason == "ServiceUnavailable")
        #expect(notRegistered?.message == "cluster \"managed1\" is not registered yet")
        let unknown = #expect(throws: ClusterLookupError.self) { try directory.endpoint(for: ClusterName("managed2")!) }
        #expect(unknown?.httpStatus == 404)
        #expect(unknown?.reason == "NotFound")
        #expect(unknown?.message == "cluster \"managed2\" not found")
    }

    @Test("the metric label is local, a registered name, or unregistered")
    func metricLabels() {
        let directory = ClusterDirectory(clusters: [VerrazzanoManagedCluster(name: "managed1")], secrets: [])
        #expect(directory.metricLabel(for: .local) == "local")
        #expect(directory.metricLabel(for: .remote(Self.managed1)) == "managed1")
        #expect(directory.metricLabel(for: .remote(ClusterName("random-1234")!)) == "unregistered")
    }

    @Test("refusals render as a Kubernetes Status")
    func kubeStatus() {
        let status = ClusterLookupError.notRegistered(Self.managed1).kubeStatus
        #expect(status == KubeStatus(status: "Failure", message: "cluster \"managed1\" is not registered yet",
                                     reason: "ServiceUnavailable", code: 503))
        #expect(status.kind == "Status")
        #expect(status.apiVersion == "v1")
    }
}
