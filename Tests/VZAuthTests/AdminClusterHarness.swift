import Foundation
import Multicluster
import NIOCore
import NIOPosix
import Testing
import VZAuthTestSupport

/// The admin cluster's API proxy (`--managed-clusters`) in front of an API server double that serves
/// `VerrazzanoManagedCluster`s, with a TLS ``WireRecordingUpstream`` standing in for a managed cluster's API proxy:
/// what the admin proxy sends to a managed cluster is recorded byte for byte.
///
/// The VMC `recorder` points at the recording upstream (its CA in the Secret `recorder-ca`); tests register more.
struct AdminClusterHarness: Sendable {
    /// The admin proxy, its API server double and issuer.
    let admin: ProxyHarness
    /// The managed side: records every byte the admin proxy sends it.
    let recorder: WireRecordingUpstream
    /// The CA that signed the recorder's certificate (the one in Secret `recorder-ca`).
    let recorderAuthority: TestCertificateAuthority

    static let namespace = VerrazzanoManagedCluster.defaultNamespace
    /// The name of the VMC whose `apiUrl` is the recorder.
    static let recorderCluster = "recorder"
    /// The admin proxy's own bearer token towards its API server (what its kubeconfig holds): never to be seen on
    /// the managed side.
    static let proxyCredential = "test-token"

    /// Starts the issuer, the recorder and the admin proxy, registers `recorder`, waits until the proxy knows it,
    /// runs `body` and stops everything. Users `denied` names may not `get` VMCs; it may change while the test runs.
    static func with(denied: DeniedUsers = DeniedUsers(), extraArguments: [String] = [],
                     _ body: (AdminClusterHarness) async throws -> Void) async throws {
        let issuer = OIDCIssuerDouble()
        try await issuer.start()
        let recorderAuthority = try TestCertificateAuthority(commonName: "managed cluster CA")
        let recorder = try await WireRecordingUpstream(
            group: MultiThreadedEventLoopGroup.singleton,
            tlsConfiguration: try recorderAuthority.makeServerCertificate(name: "managed-proxy").serverTLSConfiguration())
        let outcome = await Result {
            try await ProxyHarness.with(extraArguments: ["--managed-clusters", "--shutdown-grace-period", "1"] + extraArguments,
                                        issuer: issuer, configureAPIServer: { configuration in
                configuration.additionalResources = [.verrazzanoManagedCluster]
                configuration.authorization = .custom { request in
                    !(request.resource == "verrazzanomanagedclusters" && denied.contains(request.user.name))
                }
            }) { admin in
                let harness = AdminClusterHarness(admin: admin, recorder: recorder, recorderAuthority: recorderAuthority)
                try admin.apiServer.upsert(["metadata": ["name": namespace]] as [String: [String: String]], resource: "namespaces")
                try harness.registerCA(named: "recorder-ca", pem: recorderAuthority.certificatePEM)
                try harness.register(recorderCluster, caSecret: "recorder-ca", apiUrl: "https://127.0.0.1:\(recorder.port)")
                try await harness.waitUntilRouted(recorderCluster)
                recorder.clear()
                try await body(harness)
            }
        }
        await recorder.shutdown()
        try? await issuer.shutdown()
        recorderAuthority.removeFiles()
        try outcome.get()
    }

    // MARK: Registrations

    /// Creates or replaces the Secret `name` holding `pem` under `cacrt`.
    func registerCA(named name: String, pem: String) throws {
        try admin.apiServer.upsert(
            ["metadata": ["name": name], "data": ["cacrt": Data(pem.utf8).base64EncodedString()]] as [String: [String: String]],
            resource: "secrets", namespace: Self.namespace)
    }

    /// Creates or replaces the VMC `name`.
    func register(_ name: String, caSecret: String? = nil, apiUrl: String?) throws {
        try admin.apiServer.upsert(VerrazzanoManagedCluster(name: name, caSecret: caSecret, apiUrl: apiUrl),
                                   resource: "verrazzanomanagedclusters", group: VerrazzanoManagedCluster.group,
                                   namespace: Self.namespace)
    }

    /// Deletes the VMC `name` (as `kubectl delete vmc` would, without finalizers).
    func unregister(_ name: String) throws {
        try admin.apiServer.deleteObject(resource: "verrazzanomanagedclusters", group: VerrazzanoManagedCluster.group,
                                         namespace: Self.namespace, name: name)
    }

    // MARK: Clients

    /// A token of the issuer for the user `subject` (who may use clusters unless denied).
    func token(subject: String = "8f0e6c1e-3b7a-4d4f-9b1a-5c2d7e9f0a11", groups: [String] = ["team-a"]) -> String {
        admin.issuer.mint(claims: admin.issuer.minter.keycloakClaims(subject: subject, groups: groups))
    }

    /// Sends `head` (request line and fields, without the blank line; `Host` and `Connection: close` are added) to
    /// the admin proxy over TLS on a new connection and returns its answer.
    func send(_ head: String) async throws -> HTTPAnswer {
        let connection = try await RawConnection(group: MultiThreadedEventLoopGroup.singleton, port: admin.proxyPort,
                                                 tlsConfiguration: try admin.authority.clientTLSConfiguration())
        defer { Task { await connection.close() } }
        try await connection.send(head + "\r\nHost: 127.0.0.1:\(admin.proxyPort)\r\nConnection: close\r\n\r\n")
        let text = await connection.waitFor(timeout: .seconds(20)) { _ in false }
        return HTTPAnswer(text)
    }

    /// A `GET` of `target` with `Authorization: Bearer token` and the `extraFields` given.
    func get(_ target: String, token: String, _ extraFields: String...) async throws -> HTTPAnswer {
        try await send((["GET \(target) HTTP/1.1", "Authorization: Bearer \(token)"] + extraFields).joined(separator: "\r\n"))
    }

    /// Waits (a bounded number of tries) until a request for `cluster` is no longer refused because the proxy has
    /// not listed, or not yet seen, the registration.
    func waitUntilRouted(_ cluster: String) async throws {
        let token = token()
        for _ in 0..<100 {
            let answer = try await get("/clusters/\(cluster)/api", token: token)
            if answer.status != 503 && answer.status != 404 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the admin proxy never routed cluster \(cluster)")
    }
}

/// The users the admin API server double refuses `get` on VerrazzanoManagedClusters (by user name: the token's
/// `sub`); changed while a test runs to revoke a permission.
final class DeniedUsers: @unchecked Sendable {
    // @unchecked: `names` is guarded by `lock`.
    private let lock = NSLock()
    private var names: Set<String> = []

    /// No one denied.
    init() {}

    /// Revokes `user`'s permission.
    func deny(_ user: String) {
        lock.lock()
        defer { lock.unlock() }
        names.insert(user)
    }

    /// Whether `user` is denied.
    func contains(_ user: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return names.contains(user)
    }
}

/// An HTTP response as received, with what the tests read from it.
struct HTTPAnswer: CustomStringConvertible {
    /// Everything received.
    var text: String
    /// The status code (0 if none arrived).
    var status: Int
    /// The body (everything after the head).
    var body: String

    init(_ text: String) {
        self.text = text
        let statusLine = text.prefix { $0 != "\r" }.split(separator: " ")
        self.status = statusLine.count > 1 ? Int(statusLine[1]) ?? 0 : 0
        self.body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
    }

    /// The `message` of a Kubernetes `Status` body (nil if the body is not one).
    var statusMessage: String? {
        // The body may be chunked: the JSON is from the first `{` to the last `}`.
        guard let start = body.firstIndex(of: "{"), let end = body.lastIndex(of: "}") else { return nil }
        let json = body[start...end]
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              object["kind"] as? String == "Status" else { return nil }
        return object["message"] as? String
    }

    /// The first value of header field `name` (case-insensitive), if any.
    func header(_ name: String) -> String? {
        let head = text.range(of: "\r\n\r\n").map { text[..<$0.lowerBound] } ?? text[...]
        for line in head.split(separator: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].lowercased() == name.lowercased() {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    var description: String { text }
}
