import Foundation
import KubeClient
import Multicluster
import Testing
import VZAuthTestSupport

/// An API server double serving VMCs (plain HTTP), with the managed-cluster namespace, and a client for it.
struct MulticlusterDouble {
    let server: KubeAPIServerDouble
    let client: KubernetesClient

    static let namespace = VerrazzanoManagedCluster.defaultNamespace

    /// Runs `body` against a fresh double, shutting it and the client down afterwards.
    static func with<Result: Sendable>(
        _ configure: (inout KubeAPIServerDouble.Configuration) -> Void = { _ in },
        _ body: (MulticlusterDouble) async throws -> Result
    ) async throws -> Result {
        var configuration = KubeAPIServerDouble.Configuration()
        configuration.additionalResources = [.verrazzanoManagedCluster]
        configure(&configuration)
        let server = try await KubeAPIServerDouble.start(configuration: configuration)
        try server.upsert(["metadata": ["name": namespace]] as [String: [String: String]], resource: "namespaces")
        let connection = try KubeConnection(serverURL: server.baseURL, credential: .bearerToken(configuration.token))
        let client = KubernetesClient(connection: connection)
        do {
            let result = try await body(MulticlusterDouble(server: server, client: client))
            try await client.shutdown()
            try await server.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            try? await server.shutdown()
            throw error
        }
    }

    /// Creates or replaces a VMC directly in the double's store.
    func upsert(_ cluster: VerrazzanoManagedCluster) throws {
        try self.server.upsert(cluster, resource: "verrazzanomanagedclusters", group: VerrazzanoManagedCluster.group,
                               namespace: Self.namespace)
    }

    /// Creates or replaces a Secret with `cacrt` (or without, for `nil`).
    func upsertSecret(_ name: String, caPEM: String?) throws {
        var data: [String: String] = [:]
        if let caPEM { data["cacrt"] = Data(caPEM.utf8).base64EncodedString() }
        data["unrelated"] = Data("secret".utf8).base64EncodedString()
        let secret: [String: [String: String]] = ["metadata": ["name": name], "data": data]
        try self.server.upsert(secret, resource: "secrets", namespace: Self.namespace)
    }
}

/// Waits until `condition` holds, checking every 20 ms for at most `seconds`; records an issue if it never does.
func eventually(
    within seconds: Double = 5, _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () -> Bool
) async {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return }
        try? await Task.sleep(for: .milliseconds(20))
    }
    if !condition() { Issue.record("not within \(seconds) s: \(what)", sourceLocation: sourceLocation) }
}
