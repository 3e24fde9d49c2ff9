import Foundation
import KubeClient
import KubeModels
import Multicluster
import NIOCore
import NIOHTTP1
import Testing
import VZAuthTestSupport

/// `vzauth cluster register`'s pure half: the inputs checked as the API proxy will read them, the desired objects,
/// and what to write given the live ones.
@Suite("Multicluster: cluster registration")
struct ClusterRegistrationTests {
    static let url = "https://managed1-proxy.example.com:8443/base"

    static func caFile(_ pem: String, path: String = "ca.pem") -> (path: String, contents: Result<[UInt8], ClusterRegistrationError.Problem>) {
        (path, .success(Array(pem.utf8)))
    }

    static func problems(
        name: String = "managed1", apiURL: String = url,
        caFile: (path: String, contents: Result<[UInt8], ClusterRegistrationError.Problem>)? = nil,
        namespace: String = VerrazzanoManagedCluster.defaultNamespace
    ) -> [String] {
        do {
            _ = try ClusterRegistration(name: name, apiURL: apiURL, caFile: caFile, namespace: namespace)
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test("a valid registration: trailing / dropped, the CA re-encoded canonically, ca-secret-NAME named by spec.caSecret")
    func valid() throws {
        let authority = try TestCertificateAuthority()
        defer { authority.removeFiles() }
        // CRLF, indentation and text around the block do not matter.
        let messy = "my CA\r\n" + authority.certificatePEM.replacingOccurrences(of: "\n", with: "\r\n  ") + "\nbye\n"
        let registration = try ClusterRegistration(name: "managed1", apiURL: Self.url + "//", caFile: Self.caFile(messy))
        #expect(registration.apiURL == Self.url)
        #expect(registration.caSecretName == "ca-secret-managed1")
        let pem = try #require(registration.certificateAuthority?.pem)
        let clean = try ClusterRegistration(name: "managed1", apiURL: Self.url, caFile: Self.caFile(authority.certificatePEM))
        #expect(clean.certificateAuthority?.pem == pem)
        #expect(pem.hasPrefix("-----BEGIN CERTIFICATE-----\n") && pem.hasSuffix("-----END CERTIFICATE-----\n"))
        #expect(pem.split(separator: "\n").allSatisfy { $0.count <= 64 })
        #expect(try registration.certificateAuthority?.certificates == [authority.nioCertificate()])

        let cluster = registration.desiredCluster()
        #expect(cluster.spec.caSecret == "ca-secret-managed1")
        #expect(cluster.status.apiUrl == Self.url)
        let secret = try #require(registration.desiredSecret())
        #expect(secret.type == "Opaque")
        #expect(secret.metadata.labels == ["app.kubernetes.io/managed-by": "vzauth"])
        #expect(secret.caCertificatePEM == Data(pem.utf8))

        // What the API proxy makes of the desired objects: ready, trusting only that CA.
        let directory = ClusterDirectory(
            clusters: [cluster], secrets: [ClusterCASecret(name: secret.name, caCertificatePEM: pem)])
        let endpoint = try directory.endpoint(for: registration.name)
        #expect(endpoint.host == "managed1-proxy.example.com" && endpoint.port == 8443 && endpoint.basePath == "/base")
        guard case .certificateAuthority(let name, _) = endpoint.trust else {
            Issue.record("trusts \(endpoint.trust)")
            return
        }
        #expect(name == "ca-secret-managed1")
    }

    @Test("without a CA: no Secret, no spec.caSecret, the system roots")
    func systemRoots() throws {
        let registration = try ClusterRegistration(name: "managed1", apiURL: "https://[::1]:9443")
        #expect(registration.desiredSecret() == nil)
        #expect(registration.desiredCluster().spec.caSecret == nil)
        #expect(registration.clusterApplyConfiguration()["spec"] == .object([:]))
        let endpoint = try ClusterDirectory(clusters: [registration.desiredCluster()], secrets: []).endpoint(for: registration.name)
        #expect(endpoint.trust == .systemRoots && endpoint.host == "::1")
    }

    @Test("every problem is reported at once, each naming its flag", arguments: [
        (["Managed1"], "NAME \"Managed1\" is not a cluster name"),
        (["managed1", "http://managed1.example.com"], "--api-url \"http://managed1.example.com\" is not https"),
        (["managed1", "https:///nohost"], "has no host"),
        (["managed1", "https://user:pw@managed1.example.com"], "must not contain a user or password"),
        (["managed1", "https://managed1.example.com/?x=1"], "must not have a query"),
        (["managed1", "https://managed1.example.com/#top"], "must not have a fragment"),
        (["managed1", "https://managed1.example.com:70000"], "has an invalid port"),
        (["managed1", ""], "--api-url \"\" is empty"),
        (["managed1", ClusterRegistrationTests.url, "Bad_NS"], "--managed-cluster-namespace \"Bad_NS\" is not a namespace name"),
    ])
    func refused(arguments: [String], expected: String) {
        let problems = Self.problems(name: arguments[0], apiURL: arguments.count > 1 ? arguments[1] : Self.url,
                                     namespace: arguments.count > 2 ? arguments[2] : VerrazzanoManagedCluster.defaultNamespace)
        #expect(problems.count == 1, "\(problems)")
        #expect(problems.first?.contains(expected) == true, "\(problems)")
    }

    @Test("several problems: all of them")
    func several() {
        let problems = Self.problems(name: "-x", apiURL: "ftp://x", caFile: ("missing.pem", .failure(.unreadableCAFile("missing.pem", "no such file"))))
        #expect(problems.count == 3, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("--ca-file missing.pem cannot be read (no such file)") }, "\(problems)")
    }

    @Test("CA files: no certificate, a private key, another block, garbage, unterminated")
    func caFiles() throws {
        let authority = try TestCertificateAuthority()
        defer { authority.removeFiles() }
        let server = try authority.makeServerCertificate()
        func problem(_ pem: String) -> String? { Self.problems(caFile: Self.caFile(pem)).first }
        #expect(problem("hello") == "--ca-file ca.pem: it has no PEM certificate (-----BEGIN CERTIFICATE-----); give a PEM file of the CA that signed the managed cluster's API proxy certificate")
        #expect(problem(authority.certificatePEM + server.privateKeyPEM)?.contains("it contains a private key") == true)
        #expect(problem("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n")?.contains("X509 CRL block") == true)
        #expect(problem("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n")?.contains("certificate 1 in it cannot be parsed") == true)
        #expect(problem("-----BEGIN CERTIFICATE-----\nAAAA\n")?.contains("no -----END CERTIFICATE----- line") == true)
        // A chain: both kept.
        let chain = try ClusterCertificateAuthority(pem: Array((authority.certificatePEM + server.certificatePEM).utf8))
        #expect(chain.certificates.count == 2)
    }

    @Test("a name too long for ca-secret-NAME is refused only with a CA")
    func longName() throws {
        let authority = try TestCertificateAuthority()
        defer { authority.removeFiles() }
        let name = String(repeating: "a", count: 63) + "." + String(repeating: "b", count: 63) + "." + String(repeating: "c", count: 63)
            + "." + String(repeating: "d", count: 60)
        #expect(Self.problems(name: name).isEmpty)
        #expect(Self.problems(name: name, caFile: Self.caFile(authority.certificatePEM)).first?.contains("too long for its CA Secret") == true)
    }

    // MARK: - Plans

    static func live(_ registration: ClusterRegistration, caSecret: String?, apiURL: String?) -> VerrazzanoManagedCluster {
        VerrazzanoManagedCluster(name: registration.name.rawValue, caSecret: caSecret, apiUrl: apiURL)
    }

    @Test("nothing live: Secret, VMC and status created, in that order")
    func createAll() throws {
        let authority = try TestCertificateAuthority()
        defer { authority.removeFiles() }
        let registration = try ClusterRegistration(name: "managed1", apiURL: Self.url, caFile: Self.caFile(authority.certificatePEM))
        let plan = try ClusterRegistrationPlan(registration: registration, liveSecret: nil, liveCluster: nil)
        #expect(plan.writes == [.applySecret(try #require(registration.desiredSecret()), creates: true),
                                .applyCluster(registration.clusterApplyConfiguration(), creates: true),
                                .applyStatus(registration.statusApplyConfiguration())])
        #expect(plan.reports.map(\.description) == [
            "secret verrazzano-mc/ca-secret-managed1 created (cacrt: 1 certificate)",
            "verrazzanomanagedcluster verrazzano-mc/managed1 created (spec.caSecret ca-secret-managed1; status.apiUrl \(Self.url))",
        ])
        // The requests: server-side applies by vzauth, status through its subresource.
        let requests = try plan.writes.map { try $0.request(for: registration) }
        #expect(requests.map(\.path) == [
            "/api/v1/namespaces/verrazzano-mc/secrets/ca-secret-managed1",
            "/apis/clusters.verrazzano.io/v1alpha1/namespaces/verrazzano-mc/verrazzanomanagedclusters/managed1",
            "/apis/clusters.verrazzano.io/v1alpha1/namespaces/verrazzano-mc/verrazzanomanagedclusters/managed1/status",
        ])
        #expect(requests.allSatisfy { $0.contentType == "application/apply-patch+yaml" && $0.method == .PATCH })
        #expect(requests.allSatisfy { $0.query.contains { $0 == ("fieldManager", "vzauth") } })
        #expect(plan.writes.map { $0.permission(for: registration).description } == [
            "create secrets (API group \"\" (core))", "create verrazzanomanagedclusters (API group clusters.verrazzano.io)",
            "patch verrazzanomanagedclusters/status (API group clusters.verrazzano.io)",
        ])
    }

    @Test("everything as registered: no write, every object unchanged")
    func unchanged() throws {
        let authority = try TestCertificateAuthority()
        defer { authority.removeFiles() }
        let registration = try ClusterRegistration(name: "managed1", apiURL: Self.url, caFile: Self.caFile(authority.certificatePEM))
        var secret = try #require(registration.desiredSecret())
        secret.data?["other"] = "eA=="
        let plan = try ClusterRegistrationPlan(
            registration: registration, liveSecret: secret,
            liveCluster: Self.live(registration, caSecret: "ca-secret-managed1", apiURL: Self.url))
        #expect(plan.changesNothing)
        #expect(plan.reports.map(\.outcome) == [.unchanged, .unchanged])
    }

    @Test("a new URL: only status; a new CA: only the Secret; a hand-made Secret is taken over")
    func updates() throws {
        let authority = try TestCertificateAuthority()
        let other = try TestCertificateAuthority(commonName: "other CA")
        defer { authority.removeFiles(); other.removeFiles() }
        let registration = try ClusterRegistration(name: "managed1", apiURL: Self.url, caFile: Self.caFile(authority.certificatePEM))
        let desiredSecret = try #require(registration.desiredSecret())

        let newURL = try ClusterRegistrationPlan(
            registration: registration, liveSecret: desiredSecret,
            liveCluster: Self.live(registration, caSecret: "ca-secret-managed1", apiURL: "https://old.example.com"))
        #expect(newURL.writes == [.applyStatus(registration.statusApplyConfiguration())])
        #expect(newURL.reports.last?.description
            == "verrazzanomanagedcluster verrazzano-mc/managed1 updated (status.apiUrl https://old.example.com -> \(Self.url))")

        let oldCA = try #require(try ClusterRegistration(name: "managed1", apiURL: Self.url, caFile: Self.caFile(other.certificatePEM))
            .desiredSecret())
        let newCA = try ClusterRegistrationPlan(
            registration: registration, liveSecret: oldCA,
            liveCluster: Self.live(registration, caSecret: "ca-secret-managed1", apiURL: Self.url))
        #expect(newCA.writes == [.applySecret(desiredSecret, creates: false)])
        #expect(newCA.reports.map(\.outcome) == [.updated, .unchanged])

        var handMade = desiredSecret
        handMade.metadata.labels = nil
        let takeOver = try ClusterRegistrationPlan(
            registration: registration, liveSecret: handMade,
            liveCluster: Self.live(registration, caSecret: "someone-elses", apiURL: nil))
        #expect(takeOver.writes == [.applySecret(desiredSecret, creates: false),
                                    .applyCluster(registration.clusterApplyConfiguration(), creates: false),
                                    .applyStatus(registration.statusApplyConfiguration())])
        #expect(takeOver.reports.map(\.description) == [
            "secret verrazzano-mc/ca-secret-managed1 updated (label app.kubernetes.io/managed-by=vzauth)",
            "verrazzanomanagedcluster verrazzano-mc/managed1 updated (spec.caSecret ca-secret-managed1; status.apiUrl \(Self.url))",
        ])
    }

    @Test("no CA any more: spec.caSecret removed by merge patch, then vzauth's Secret deleted; another's left alone")
    func dropCA() throws {
        let authority = try TestCertificateAuthority()
        defer { authority.removeFiles() }
        let withCA = try ClusterRegistration(name: "managed1", apiURL: Self.url, caFile: Self.caFile(authority.certificatePEM))
        var ours = try #require(withCA.desiredSecret())
        ours.metadata.uid = "uid-1"
        ours.metadata.resourceVersion = "7"
        let registration = try ClusterRegistration(name: "managed1", apiURL: Self.url)
        let plan = try ClusterRegistrationPlan(
            registration: registration, liveSecret: ours,
            liveCluster: Self.live(registration, caSecret: "ca-secret-managed1", apiURL: Self.url))
        #expect(plan.writes == [.removeCASecretReference, .deleteSecret(name: "ca-secret-managed1", uid: "uid-1", resourceVersion: "7")])
        #expect(plan.reports.map(\.description) == [
            "verrazzanomanagedcluster verrazzano-mc/managed1 updated (spec.caSecret removed: the system roots are trusted)",
            "secret verrazzano-mc/ca-secret-managed1 deleted (no --ca-file: the system roots are trusted)",
        ])
        let patch = try plan.writes[0].request(for: registration)
        #expect(patch.contentType == "application/merge-patch+json")
        #expect(patch.body.map { String(buffer: $0) } == #"{"spec":{"caSecret":null}}"#)
        let delete = try plan.writes[1].request(for: registration)
        #expect(delete.method == .DELETE && delete.body.map { String(buffer: $0) }?.contains(#""resourceVersion":"7""#) == true)

        var theirs = ours
        theirs.metadata.labels = ["app": "x"]
        let leftAlone = try ClusterRegistrationPlan(
            registration: registration, liveSecret: theirs, liveCluster: Self.live(registration, caSecret: nil, apiURL: Self.url))
        #expect(leftAlone.changesNothing)
        #expect(leftAlone.reports.map(\.outcome) == [.unchanged, .leftAlone])
    }

    @Test("a Secret of another type, or a VMC being deleted: refused before writing")
    func conflicts() throws {
        let authority = try TestCertificateAuthority()
        defer { authority.removeFiles() }
        let registration = try ClusterRegistration(name: "managed1", apiURL: Self.url, caFile: Self.caFile(authority.certificatePEM))
        var tls = try #require(registration.desiredSecret())
        tls.type = "kubernetes.io/tls"
        #expect(throws: ClusterRegistrationConflict.secretType(namespace: "verrazzano-mc", name: "ca-secret-managed1", type: "kubernetes.io/tls")) {
            try ClusterRegistrationPlan(registration: registration, liveSecret: tls, liveCluster: nil)
        }
        var deleting = Self.live(registration, caSecret: nil, apiURL: nil)
        deleting.metadata.deletionTimestamp = "2026-01-01T00:00:00Z"
        #expect(throws: ClusterRegistrationConflict.self) {
            try ClusterRegistrationPlan(registration: registration, liveSecret: nil, liveCluster: deleting)
        }
    }

    static func status(_ json: String) throws -> KubeStatus {
        try JSONDecoder().decode(KubeStatus.self, from: Data(json.utf8))
    }

    @Test("API failures name the server, namespace, object and the fix")
    func failures() throws {
        let server = "https://admin.example.com:6443"
        let permission = ClusterRegistrationPermission(verb: "patch", group: "clusters.verrazzano.io",
                                                       resource: "verrazzanomanagedclusters/status", name: "managed1")
        let forbidden = try Self.status(#"{"kind":"Status","message":"nope","reason":"Forbidden","code":403,"details":{"name":"managed1"}}"#)
        let denied = ClusterRegistrationFailure(server: server, namespace: "verrazzano-mc", permission: permission,
                                                error: KubeAPIError(status: forbidden, httpCode: 403))
        #expect(denied.description.hasPrefix(
            "https://admin.example.com:6443 forbids the kubeconfig's user to patch verrazzanomanagedclusters/status verrazzano-mc/managed1"))
        #expect(denied.description.contains("it needs patch verrazzanomanagedclusters/status (API group clusters.verrazzano.io) in namespace verrazzano-mc"))

        let missing = ClusterRegistrationFailure(
            server: server, namespace: "verrazzano-mc", permission: permission,
            error: KubeAPIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource"))
        #expect(missing.description.contains("the VerrazzanoManagedCluster CRD is not installed"))
        #expect(missing.description.contains("kubectl apply -f deploy/crds/verrazzanomanagedclusters.clusters.verrazzano.io.yaml"))

        let namespaceStatus = try Self.status(
            #"{"kind":"Status","message":"namespaces \"verrazzano-mc\" not found","reason":"NotFound","code":404,"details":{"name":"verrazzano-mc","kind":"namespaces"}}"#)
        let noNamespace = ClusterRegistrationFailure(server: server, namespace: "verrazzano-mc", permission: permission,
                                                     error: KubeAPIError(status: namespaceStatus, httpCode: 404))
        #expect(noNamespace.description.hasPrefix("namespace verrazzano-mc does not exist on https://admin.example.com:6443"))

        #expect(ClusterRegistrationFailure.discoveryProblem(server: server, resourceNames: ["verrazzanomanagedclusters"])?.description
            .contains("verrazzanomanagedclusters has no status subresource") == true)
        let full: Set = ["verrazzanomanagedclusters", "verrazzanomanagedclusters/status"]
        #expect(ClusterRegistrationFailure.discoveryProblem(server: server, resourceNames: full) == nil)
    }
}
