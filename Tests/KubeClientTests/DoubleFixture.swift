import Foundation
import KubeClient
import VZAuthTestSupport

/// A TLS API server double with a test CA, and a connection to it.
struct DoubleFixture {
    let authority: TestCertificateAuthority
    let server: KubeAPIEmulator
    let connection: KubeConnection

    /// Runs `body` against a fresh double over TLS, shutting it down afterwards.
    static func with<Result: Sendable>(
        _ configure: (inout KubeAPIEmulator.Configuration) -> Void = { _ in },
        _ body: (DoubleFixture) async throws -> Result
    ) async throws -> Result {
        let authority = try TestCertificateAuthority()
        defer { authority.removeFiles() }
        var configuration = KubeAPIEmulator.Configuration(
            tlsConfiguration: try authority.makeServerCertificate().serverTLSConfiguration()
        )
        configure(&configuration)
        let server = try await KubeAPIEmulator.start(configuration: configuration)
        let connection = try KubeConnection(
            serverURL: server.baseURL,
            tlsConfiguration: try authority.clientTLSConfiguration(),
            credential: .bearerToken(configuration.token)
        )
        let fixture = DoubleFixture(authority: authority, server: server, connection: connection)
        do {
            let result = try await body(fixture)
            try await server.shutdown()
            return result
        } catch {
            try? await server.shutdown()
            throw error
        }
    }

    /// Runs `body` with a client for this fixture's connection (or `connection`).
    func withClient<Result: Sendable>(
        connection: KubeConnection? = nil,
        configuration: KubernetesClient.Configuration = .init(),
        _ body: (KubernetesClient) async throws -> Result
    ) async throws -> Result {
        try await KubernetesClient.withClient(connection: connection ?? self.connection, configuration: configuration, body)
    }
}

/// A minimal ConfigMap.
struct ConfigMap: Codable, Sendable, Equatable {
    var apiVersion: String? = "v1"
    var kind: String? = "ConfigMap"
    var metadata: KubeObjectMeta
    var data: [String: String]?

    init(name: String, namespace: String? = nil, data: [String: String]? = nil, labels: [String: String]? = nil) {
        self.metadata = KubeObjectMeta(name: name, namespace: namespace, labels: labels)
        self.data = data
    }
}
