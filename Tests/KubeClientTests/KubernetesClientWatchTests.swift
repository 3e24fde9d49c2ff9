import Foundation
import KubeClient
import NIOCore
import Testing
import VZAuthTestSupport

@Suite("Watching through the client")
struct KubernetesClientWatchTests {
    @Test("existing objects arrive as ADDED, later changes as ADDED, MODIFIED, DELETED")
    func liveEvents() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                _ = try await client.create(ConfigMap(name: "one"), .configMaps, namespace: "default")
                let stream = try await client.watch(ConfigMap.self, .configMaps, namespace: "default", timeout: .seconds(20))
                var events = stream.makeAsyncIterator()
                let first = try #require(try await events.next())
                #expect(first.type == .added)
                #expect(first.object.metadata.name == "one")

                _ = try await client.create(ConfigMap(name: "two"), .configMaps, namespace: "default")
                try fixture.server.upsert(ConfigMap(name: "one", data: ["k": "v"]), resource: "configmaps", namespace: "default")
                try await client.delete(.configMaps, namespace: "default", name: "two")
                _ = try await client.create(ConfigMap(name: "elsewhere"), .configMaps, namespace: "kube-system")

                var seen: [String] = []
                for _ in 0..<3 {
                    let event = try #require(try await events.next())
                    seen.append("\(event.type.rawValue) \(event.object.metadata.name ?? "")")
                }
                #expect(seen == ["ADDED two", "MODIFIED one", "DELETED two"])
                fixture.server.endAllWatches()
                #expect(try await events.next() == nil, "the stream ends when the server ends the watch")
            }
            let watchRequest = try #require(fixture.server.requests.first { $0.uri.contains("watch=true") })
            #expect(watchRequest.uri.contains("timeoutSeconds=20"))
        }
    }

    @Test("resuming from a resourceVersion replays only later changes; a selector filters")
    func resume() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                _ = try await client.create(ConfigMap(name: "a", labels: ["app": "web"]), .configMaps, namespace: "default")
                let list = try await client.list(ConfigMap.self, .configMaps, namespace: "default")
                _ = try await client.create(ConfigMap(name: "b", labels: ["app": "db"]), .configMaps, namespace: "default")
                _ = try await client.create(ConfigMap(name: "c", labels: ["app": "web"]), .configMaps, namespace: "default")
                let options = KubeListOptions(labelSelector: "app=web", resourceVersion: list.metadata.resourceVersion)
                var events = try await client.watch(ConfigMap.self, .configMaps, namespace: "default", options: options)
                    .makeAsyncIterator()
                let event = try #require(try await events.next())
                #expect(event.type == .added)
                #expect(event.object.metadata.name == "c")
                fixture.server.endAllWatches()
                #expect(try await events.next() == nil)
            }
        }
    }

    @Test("a too old resourceVersion is surfaced as 410 Gone")
    func gone() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                let list = try await client.list(ConfigMap.self, .configMaps, namespace: "default")
                _ = try await client.create(ConfigMap(name: "a"), .configMaps, namespace: "default")
                fixture.server.compactWatchHistory()
                let options = KubeListOptions(resourceVersion: list.metadata.resourceVersion)
                var events = try await client.watch(ConfigMap.self, .configMaps, namespace: "default", options: options)
                    .makeAsyncIterator()
                let error = await #expect(throws: KubeAPIError.self) { _ = try await events.next() }
                #expect(error?.isGone == true)
                #expect(error?.code == 410)
                #expect(error?.reason == "Expired")
            }
        }
    }

    @Test("the stream ends when the server ends the watch")
    func serverEnds() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                var events = try await client.watch(JSONValue.self, .namespaces, timeout: .seconds(1)).makeAsyncIterator()
                var names: [String] = []
                while let event = try await events.next() {
                    names.append(event.object["metadata"]?["name"]?.stringValue ?? "")
                }
                #expect(names == ["default", "kube-public", "kube-system"])
            }
        }
    }
}
