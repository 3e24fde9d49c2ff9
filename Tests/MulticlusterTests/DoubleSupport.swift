import Foundation
import KubeClient
import Multicluster
import Testing
import VZAuthTestSupport

/// An API server double serving VMCs (plain HTTP), with the managed-cluster namespace, and a client for it.
struct MulticlusterDouble {
    let server: KubeAPIEmulator
    let client: KubernetesClient

    static let namespace = VerrazzanoManagedCluster.defaultNamespace

    /// Runs `body` against a fresh double, shutting it and the client down afterwards.
    static func with<Result: Sendable>(
        _ configure: (inout KubeAPIEmulator.Configuration) -> Void = { _ in },
        _ body: (MulticlusterDouble) async throws -> Result
    ) async throws -> Result {
        var configuration = KubeAPIEmulator.Configuration()
        configuration.additionalResources = [.verrazzanoManagedCluster]
        configure(&configuration)
        let server = try await KubeAPIEmulator.start(configuration: configuration)
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

/// Waits until `condition` holds, checking every 20 ms, at most `seconds / 20 ms` times; records an issue if it never
/// does.
///
/// Counted in checks rather than by the clock: when the whole suite runs on two cores, tasks can wait seconds for a
/// thread, and a wall-clock deadline would fail a condition that was never looked at.
func eventually(
    within seconds: Double = 10, _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () -> Bool
) async {
    for _ in 0..<Int(seconds / 0.02) {
        if condition() { return }
        try? await Task.sleep(for: .milliseconds(20))
    }
    if !condition() { Issue.record("not within \(seconds) s: \(what)", sourceLocation: sourceLocation) }
}
