import Foundation
import KubeClient
import Multicluster
import Testing
import VZAuthTestSupport

@Suite("The cluster watcher keeps the directory current from the API server")
struct ClusterWatcherTests {
    static let managed1 = ClusterName("managed1")!

    @Test("VMCs and CA Secrets created, updated and deleted are reflected within seconds")
    func lifecycle() async throws {
        let authority = try TestCertificateAuthority()
        defer { authority.removeFiles() }
        try await MulticlusterDouble.with { double in
            try double.upsert(VerrazzanoManagedCluster(name: "existing", apiUrl: "https://existing.example.com"))
            let watcher = ClusterWatcher()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await watcher.run(client: double.client) }
                await eventually("the first lists complete") { watcher.isSynced }
                #expect(watcher.directory.names == [ClusterName("existing")!])

                // Created, not registered yet.
                try double.upsert(VerrazzanoManagedCluster(name: "managed1", caSecret: "ca-managed1"))
                await eventually("the new VMC is seen") { watcher.directory[Self.managed1] == .notRegistered }

                // Registered, but its CA Secret does not exist yet: unusable, never trusted otherwise.
                try double.upsert(VerrazzanoManagedCluster(
                    name: "managed1", caSecret: "ca-managed1", apiUrl: "https://managed1.example.com:8443"))
                await eventually("the missing Secret is reported") {
                    watcher.directory[Self.managed1] == .unusable(.caSecretMissing("ca-managed1"))
                }

                // The Secret arrives.
                try double.upsertSecret("ca-managed1", caPEM: authority.certificatePEM)
                await eventually("the cluster becomes ready") {
                    if case .ready? = watcher.directory[Self.managed1] { return true }
                    return false
                }
                let endpoint = try watcher.directory.endpoint(for: Self.managed1)
                #expect(endpoint.port == 8443)
                #expect(endpoint.trust == .certificateAuthority(secret: "ca-managed1", certificates: [try authority.nioCertificate()]))

                // The apiUrl changes to plain http: unusable.
                try double.server.mergePatchObject(
                    resource: "verrazzanomanagedclusters", group: VerrazzanoManagedCluster.group,
                    namespace: MulticlusterDouble.namespace, name: "managed1", subresource: "status",
                    patch: Data(#"{"status":{"apiUrl":"http://managed1.example.com"}}"#.utf8))
                await eventually("the status change is seen") {
                    watcher.directory[Self.managed1] == .unusable(.apiURLNotHTTPS("http://managed1.example.com"))
                }

                // Deleted: no such cluster.
                try double.server.deleteObject(
                    resource: "verrazzanomanagedclusters", group: VerrazzanoManagedCluster.group,
                    namespace: MulticlusterDouble.namespace, name: "managed1")
                await eventually("the deletion is seen") { watcher.directory[Self.managed1] == nil }
                #expect(throws: ClusterLookupError.noSuchCluster(Self.managed1)) {
                    try watcher.directory.endpoint(for: Self.managed1)
                }
                group.cancelAll()
            }
        }
    }

    @Test("a watch the server ends is resumed, and a compacted history leads to a new list")
    func resumes() async throws {
        try await MulticlusterDouble.with { double in
            let watcher = ClusterWatcher()
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await watcher.run(client: double.client) }
                await eventually("synced") { watcher.isSynced && double.server.activeWatchCount == 2 }
                double.server.endAllWatches()
                try? double.upsert(VerrazzanoManagedCluster(name: "after-end", apiUrl: "https://a.example.com"))
                await eventually("a change after the watch ended is seen") {
                    watcher.directory[ClusterName("after-end")!] != nil
                }
                double.server.compactWatchHistory()
                double.server.endAllWatches()
                try? double.upsert(VerrazzanoManagedCluster(name: "after-compaction", apiUrl: "https://b.example.com"))
                await eventually("a change after a compaction is seen") {
                    watcher.directory[ClusterName("after-compaction")!] != nil
                }
                group.cancelAll()
            }
        }
    }

    @Test("watches the server ends at once without events are resumed after a growing pause, never in a tight loop")
    func watchesEndingAtOnce() async throws {
        try await MulticlusterDouble.with { double in
            // Every watch for 2 s ends at once.
            double.server.injectEmptyResponse(count: 1_000) { $0.verb == "watch" }
            let watcher = ClusterWatcher()
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await watcher.run(client: double.client) }
                await eventually("synced") { watcher.isSynced }
                try? await Task.sleep(for: .seconds(2))
                group.cancelAll()
            }
            let watches = double.server.requests.filter { $0.uri.contains("watch=") }.count
            // With pauses of 0.2, 0.4, 0.8 s (and jitter) two seconds hold at most a handful of watches per resource;
            // a tight loop would make thousands.
            #expect(watches >= 2, "the watches were resumed")
            #expect(watches <= 12, "\(watches) watches in 2 s")
        }
    }

    @Test("without the VMC resource (CRD not installed) the directory is empty and synced")
    func notServed() async throws {
        var configuration = KubeAPIEmulator.Configuration()
        configuration.additionalResources = []
        let server = try await KubeAPIEmulator.start(configuration: configuration)
        let client = KubernetesClient(connection: try KubeConnection(
            serverURL: server.baseURL, credential: .bearerToken(configuration.token)))
        let watcher = ClusterWatcher()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await watcher.run(client: client) }
            await eventually("synced as empty") { watcher.isSynced }
            #expect(watcher.directory.names.isEmpty)
            group.cancelAll()
        }
        try await client.shutdown()
        try await server.shutdown()
    }
}
