import Foundation
import KubeClient
import NIOCore
import NIOHTTP1
import Testing
import VZAuthTestSupport

/// The double's store behaves like the API server: server-side apply, no-op writes, finalizers, delete
/// preconditions, namespace deletion, the status subresource, leases and events, fault injection, test hooks.
@Suite("API server double store semantics")
struct KubeAPIEmulatorStoreTests {
    static let widgets = KubeAPIEmulator.ResourceType(
        group: "example.com", version: "v1", resource: "widgets", singular: "widget", kind: "Widget",
        namespaced: true, subresources: ["status"])
    static let widgetResource = KubeResource(group: "example.com", version: "v1", resource: "widgets", namespaced: true)
    static let leases = KubeResource(group: "coordination.k8s.io", version: "v1", resource: "leases", namespaced: true)
    static let cmPath = "/api/v1/namespaces/default/configmaps"

    // MARK: - Server-side apply

    @Test("apply creates a missing object (ADDED, server-set fields) and needs an existing namespace")
    func applyCreates() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                let before = fixture.server.currentResourceVersion
                let created = try await client.apply("\(Self.cmPath)/app", [
                    "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "app"], "data": ["a": "1"],
                ])
                #expect(created["metadata"]?["uid"]?.stringValue?.isEmpty == false)
                #expect(created["metadata"]?["creationTimestamp"] != nil)
                #expect(created["metadata"]?["namespace"] == "default")
                #expect(created["data"] == ["a": "1"])
                #expect(try await client.events(.configMaps, namespace: "default", since: before, fixture) == ["ADDED app"])

                let missing = await #expect(throws: KubeAPIError.self) {
                    try await client.apply("/api/v1/namespaces/nowhere/configmaps/app", [
                        "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "app"],
                    ])
                }
                #expect(missing?.code == 404)
                #expect(missing?.message == "namespaces \"nowhere\" not found")
            }
        }
    }

    @Test("apply merges maps, replaces lists and scalars, keeps absent fields and server fields; force is accepted")
    func applyMerges() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                let path = "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles/reader"
                let first = try await client.apply(path, [
                    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                    "metadata": ["name": "reader", "labels": ["team": "a", "tier": "1"], "annotations": ["note": "x"]],
                    "rules": [["apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]],
                              ["apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]]],
                ])
                let second = try await client.apply(path, [
                    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                    "metadata": ["name": "reader", "labels": ["tier": "2", "new": "yes"]],
                    "rules": [["apiGroups": [""], "resources": ["configmaps"], "verbs": ["watch"]]],
                ], force: true)
                #expect(second["metadata"]?["labels"] == ["team": "a", "tier": "2", "new": "yes"])
                #expect(second["metadata"]?["annotations"] == ["note": "x"], "fields absent from the configuration are kept")
                #expect(second["rules"] == [["apiGroups": [""], "resources": ["configmaps"], "verbs": ["watch"]]])
                #expect(second["metadata"]?["uid"] == first["metadata"]?["uid"])
                #expect(second["metadata"]?["creationTimestamp"] == first["metadata"]?["creationTimestamp"])
                #expect(second["metadata"]?["resourceVersion"] != first["metadata"]?["resourceVersion"])
                let stored = try await client.json(.GET, path)
                #expect(stored == second)
                let applyRequest = try #require(fixture.server.requests.last { $0.method == "PATCH" })
                #expect(applyRequest.header("Content-Type") == "application/apply-patch+yaml")
                #expect(applyRequest.uri.contains("force=true"))
            }
        }
    }

    @Test("apply refuses a missing fieldManager, wrong apiVersion or kind, another name, a stale resourceVersion")
    func applyRefusals() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                let path = "\(Self.cmPath)/app"
                let body: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "app"]]
                let noManager = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.send(method: .PATCH, path: path, body: body.buffer, contentType: "application/apply-patch+yaml")
                }
                #expect(noManager?.code == 422)
                #expect(noManager?.reason == "Invalid")
                #expect(noManager?.message == "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch")
                #expect(noManager?.status?.details?.causes?.first?.field == "fieldManager")

                let wrongKind = await #expect(throws: KubeAPIError.self) {
                    try await client.apply(path, ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "app"]])
                }
                #expect(wrongKind?.code == 400)
                #expect(wrongKind?.reason == "BadRequest")
                let wrongVersion = await #expect(throws: KubeAPIError.self) {
                    try await client.apply(path, ["apiVersion": "apps/v1", "kind": "ConfigMap", "metadata": ["name": "app"]])
                }
                #expect(wrongVersion?.message == "Incorrect version specified in apply patch. Specified patch version: apps/v1, expected: v1")
                let wrongName = await #expect(throws: KubeAPIError.self) {
                    try await client.apply(path, ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "other"]])
                }
                #expect(wrongName?.message == "the name of the object (other) does not match the name on the URL (app)")
                #expect(fixture.server.object(resource: "configmaps", namespace: "default", name: "app") == nil)

                let created = try await client.apply(path, body)
                let version = try #require(created["metadata"]?["resourceVersion"]?.stringValue)
                let stale = await #expect(throws: KubeAPIError.self) {
                    try await client.apply(path, ["apiVersion": "v1", "kind": "ConfigMap",
                                                  "metadata": ["name": "app", "resourceVersion": "1"], "data": ["k": "v"]])
                }
                #expect(stale?.isConflict == true)
                #expect(stale?.message == "Operation cannot be fulfilled on configmaps \"app\": the object has been modified; please apply your changes to the latest version and try again")
                let current = try await client.apply(path, ["apiVersion": "v1", "kind": "ConfigMap",
                                                            "metadata": ["name": "app", "resourceVersion": .string(version)],
                                                            "data": ["k": "v"]])
                #expect(current["data"] == ["k": "v"])
            }
        }
    }

    // MARK: - No-op writes

    @Test("an update, merge patch or apply that changes nothing keeps the resourceVersion and sends no event")
    func noOpWrites() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                let path = "\(Self.cmPath)/app"
                let created = try await client.json(.POST, Self.cmPath, body: [
                    "metadata": ["name": "app", "labels": ["a": "b"]], "data": ["k": "v"],
                ])
                let version = try #require(created["metadata"]?["resourceVersion"]?.stringValue)

                let updated = try await client.json(.PUT, path, body: created)
                let patched = try await client.json(.PATCH, path, body: ["data": ["k": "v"]], contentType: "application/merge-patch+json")
                var withoutVersion = created
                withoutVersion["metadata"]?["resourceVersion"] = nil
                let updatedWithoutVersion = try await client.json(.PUT, path, body: withoutVersion)
                let applied = try await client.apply(path, ["apiVersion": "v1", "kind": "ConfigMap",
                                                            "metadata": ["name": "app", "labels": ["a": "b"]]])
                for result in [updated, patched, updatedWithoutVersion, applied] {
                    #expect(result == created)
                }
                #expect(fixture.server.currentResourceVersion == version)

                let changed = try await client.json(.PATCH, path, body: ["data": ["k": "w"]], contentType: "application/merge-patch+json")
                #expect(changed["metadata"]?["resourceVersion"]?.stringValue != version)
                #expect(try await client.events(.configMaps, namespace: "default", since: version, fixture) == ["MODIFIED app"])
            }
        }
    }

    // MARK: - Finalizers and deletion

    @Test("DELETE with finalizers sets deletionTimestamp once; removing the last finalizer removes the object")
    func finalizerDeletion() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                let path = "\(Self.cmPath)/guarded"
                let created = try await client.json(.POST, Self.cmPath, body: [
                    "metadata": ["name": "guarded", "finalizers": ["example.com/a", "example.com/b"]],
                ])
                let start = try #require(created["metadata"]?["resourceVersion"]?.stringValue)

                let marked = try await client.json(.DELETE, path)
                let timestamp = try #require(marked["metadata"]?["deletionTimestamp"]?.stringValue)
                #expect(ISO8601DateFormatter().date(from: timestamp) != nil)
                #expect(timestamp.hasSuffix("Z"))
                #expect(marked["metadata"]?["resourceVersion"] != created["metadata"]?["resourceVersion"])
                #expect(try await client.json(.GET, path) == marked, "the object stays while finalizers remain")

                let again = try await client.json(.DELETE, path)
                #expect(again == marked, "a second DELETE changes nothing")

                let refused = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.json(.PATCH, path, body: ["metadata": ["finalizers": ["example.com/a", "example.com/b", "example.com/c"]]],
                                              contentType: "application/merge-patch+json")
                }
                #expect(refused?.code == 422)
                #expect(refused?.reason == "Invalid")
                #expect(refused?.message == "ConfigMap \"guarded\" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"example.com/c\"}")

                var one = try await client.json(.GET, path)
                one["metadata"]?["finalizers"] = ["example.com/b"]
                let remaining = try await client.json(.PUT, path, body: one)
                #expect(remaining["metadata"]?["deletionTimestamp"]?.stringValue == timestamp)
                let last = try await client.json(.PATCH, path, body: ["metadata": ["finalizers": nil]], contentType: "application/merge-patch+json")
                #expect(last["metadata"]?["finalizers"] == nil)
                let gone = await #expect(throws: KubeAPIError.self) { _ = try await client.json(.GET, path) }
                #expect(gone?.isNotFound == true)
                #expect(try await client.events(.configMaps, namespace: "default", since: start, fixture)
                    == ["MODIFIED guarded", "MODIFIED guarded", "DELETED guarded"])
            }
        }
    }

    @Test("DELETE preconditions on uid and resourceVersion give 409 Conflict when they do not hold")
    func deletePreconditions() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                let path = "\(Self.cmPath)/app"
                let created = try await client.json(.POST, Self.cmPath, body: ["metadata": ["name": "app"]])
                let uid = try #require(created["metadata"]?["uid"]?.stringValue)
                let version = try #require(created["metadata"]?["resourceVersion"]?.stringValue)

                let wrongUID = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.json(.DELETE, path, body: ["kind": "DeleteOptions", "apiVersion": "v1", "preconditions": ["uid": "other"]])
                }
                #expect(wrongUID?.isConflict == true)
                #expect(wrongUID?.message.hasPrefix("Operation cannot be fulfilled on configmaps \"app\": ") == true)
                #expect(wrongUID?.message.hasSuffix("Precondition failed: UID in precondition: other, UID in object meta: \(uid)") == true)
                let wrongVersion = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.json(.DELETE, path, body: ["preconditions": ["resourceVersion": "1"]])
                }
                #expect(wrongVersion?.code == 409)
                #expect(wrongVersion?.message.hasSuffix("Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: \(version)") == true)
                #expect(fixture.server.object(resource: "configmaps", namespace: "default", name: "app") != nil)

                _ = try await client.json(.DELETE, path, body: ["preconditions": ["uid": .string(uid), "resourceVersion": .string(version)],
                                                                "propagationPolicy": "Background"])
                #expect(fixture.server.object(resource: "configmaps", namespace: "default", name: "app") == nil)
            }
        }
    }

    @Test("deleting a Namespace removes every object in it with DELETED events; a terminating namespace takes no new objects")
    func namespaceDeletion() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                _ = try await client.json(.POST, "/api/v1/namespaces", body: ["metadata": ["name": "team"]])
                _ = try await client.json(.POST, "/api/v1/namespaces/team/configmaps", body: ["metadata": ["name": "one"]])
                _ = try await client.json(.POST, "/api/v1/namespaces/team/configmaps", body: ["metadata": ["name": "two"]])
                _ = try await client.json(.POST, "/apis/coordination.k8s.io/v1/namespaces/team/leases", body: ["metadata": ["name": "lock"]])
                _ = try await client.json(.POST, Self.cmPath, body: ["metadata": ["name": "kept"]])
                let before = fixture.server.currentResourceVersion

                _ = try await client.json(.DELETE, "/api/v1/namespaces/team")
                #expect(fixture.server.objectNames(resource: "configmaps", namespace: "team") == [])
                #expect(fixture.server.objectNames(resource: "leases", group: "coordination.k8s.io", namespace: "team") == [])
                #expect(fixture.server.objectNames(resource: "configmaps", namespace: "default") == ["kept"])
                #expect(!fixture.server.objectNames(resource: "namespaces").contains("team"))
                #expect(try await client.events(.configMaps, namespace: nil, since: before, fixture) == ["DELETED one", "DELETED two"])
                #expect(try await client.events(Self.leases, namespace: nil, since: before, fixture) == ["DELETED lock"])
                #expect(try await client.events(.namespaces, namespace: nil, since: before, fixture) == ["DELETED team"])

                _ = try await client.json(.POST, "/api/v1/namespaces", body: ["metadata": ["name": "held", "finalizers": ["example.com/hold"]]])
                _ = try await client.json(.POST, "/api/v1/namespaces/held/configmaps", body: ["metadata": ["name": "inside"]])
                let terminating = try await client.json(.DELETE, "/api/v1/namespaces/held")
                #expect(terminating["status"]?["phase"] == "Terminating")
                #expect(fixture.server.objectNames(resource: "configmaps", namespace: "held") == ["inside"])
                let refused = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.json(.POST, "/api/v1/namespaces/held/configmaps", body: ["metadata": ["name": "late"]])
                }
                #expect(refused?.isForbidden == true)
                #expect(refused?.message == "configmaps \"late\" is forbidden: unable to create new content in namespace held because it is being terminated")
                _ = try await client.json(.PATCH, "/api/v1/namespaces/held", body: ["metadata": ["finalizers": nil]],
                                          contentType: "application/merge-patch+json")
                #expect(!fixture.server.objectNames(resource: "namespaces").contains("held"))
                #expect(fixture.server.objectNames(resource: "configmaps", namespace: "held") == [])
            }
        }
    }

    // MARK: - Status subresource

    @Test("with a status subresource, main writes keep status and status writes change only status")
    func statusSubresource() async throws {
        try await DoubleFixture.with({ $0.additionalResources = [Self.widgets] }) { fixture in
            try await fixture.withClient { client in
                let base = "/apis/example.com/v1/namespaces/default/widgets"
                let created = try await client.json(.POST, base, body: [
                    "apiVersion": "example.com/v1", "kind": "Widget", "metadata": ["name": "w"],
                    "spec": ["size": 1], "status": ["ready": true],
                ])
                #expect(created["status"] == nil, "create drops status")

                var statusBody = created
                statusBody["status"] = ["ready": true]
                statusBody["spec"] = ["size": 99]
                let statusUpdated = try await client.json(.PUT, "\(base)/w/status", body: statusBody)
                #expect(statusUpdated["status"] == ["ready": true])
                #expect(statusUpdated["spec"] == ["size": 1], "a status write changes nothing but status")

                let statusPatched = try await client.json(.PATCH, "\(base)/w/status", body: ["status": ["phase": "Up"], "metadata": ["labels": ["x": "y"]]],
                                                          contentType: "application/merge-patch+json")
                #expect(statusPatched["status"] == ["ready": true, "phase": "Up"])
                #expect(statusPatched["metadata"]?["labels"] == nil)

                let mainPatched = try await client.json(.PATCH, "\(base)/w", body: ["spec": ["size": 2], "status": nil],
                                                        contentType: "application/merge-patch+json")
                #expect(mainPatched["spec"] == ["size": 2])
                #expect(mainPatched["status"] == ["ready": true, "phase": "Up"])

                var replaced = mainPatched
                replaced["status"] = ["ready": false]
                let mainUpdated = try await client.json(.PUT, "\(base)/w", body: replaced)
                #expect(mainUpdated["status"] == ["ready": true, "phase": "Up"])
                #expect(mainUpdated["metadata"]?["resourceVersion"] == mainPatched["metadata"]?["resourceVersion"], "only status differed: a no-op")

                let applied = try await client.apply("\(base)/w", ["apiVersion": "example.com/v1", "kind": "Widget", "metadata": ["name": "w"],
                                                                   "spec": ["size": 3], "status": ["ready": false]], force: true)
                #expect(applied["spec"] == ["size": 3])
                #expect(applied["status"] == ["ready": true, "phase": "Up"])

                _ = try await client.json(.POST, Self.cmPath, body: ["metadata": ["name": "plain"]])
                let noStatus = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.json(.PATCH, "\(Self.cmPath)/plain/status", body: ["status": ["x": 1]],
                                              contentType: "application/merge-patch+json")
                }
                #expect(noStatus?.code == 404, "configmaps have no status subresource")
            }
        }
    }

    // MARK: - Leases and events

    @Test("leases and events are served, stored and discoverable")
    func leasesAndEvents() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                let groups = try await client.json(.GET, "/apis")
                let names = groups["groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
                #expect(names.contains("coordination.k8s.io"))
                let coordination = try await client.json(.GET, "/apis/coordination.k8s.io/v1")
                let lease = coordination["resources"]?.arrayValue?.first { $0["name"] == "leases" }
                #expect(lease?["kind"] == "Lease")
                #expect(lease?["namespaced"] == true)
                let core = try await client.json(.GET, "/api/v1")
                let events = core["resources"]?.arrayValue?.first { $0["name"] == "events" }
                #expect(events?["kind"] == "Event")
                #expect(events?["shortNames"] == ["ev"])

                _ = try await client.json(.POST, "/apis/coordination.k8s.io/v1/namespaces/default/leases", body: [
                    "metadata": ["name": "leader"], "spec": ["holderIdentity": "me", "leaseDurationSeconds": 15],
                ])
                let renewed = try await client.json(.PATCH, "/apis/coordination.k8s.io/v1/namespaces/default/leases/leader",
                                                    body: ["spec": ["holderIdentity": "you"]], contentType: "application/merge-patch+json")
                #expect(renewed["kind"] == "Lease")
                #expect(renewed["apiVersion"] == "coordination.k8s.io/v1")
                #expect(renewed["spec"] == ["holderIdentity": "you", "leaseDurationSeconds": 15])
                _ = try await client.json(.POST, "/api/v1/namespaces/default/events", body: [
                    "metadata": ["name": "app.1"], "reason": "Synced", "involvedObject": ["kind": "ConfigMap", "name": "app"],
                ])
                let list = try await client.json(.GET, "/api/v1/namespaces/default/events")
                #expect(list["kind"] == "EventList")
                #expect(list["items"]?.arrayValue?.map { $0["reason"] } == ["Synced"])
                #expect(fixture.server.objectNames(resource: "leases", group: "coordination.k8s.io", namespace: "default") == ["leader"])
            }
        }
    }

    @Test("kubectl discovers leases and events, and server-side apply creates then merges",
          .enabled(if: KubectlRunner.isAvailable))
    func kubectl() async throws {
        try await DoubleFixture.with { fixture in
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let kubectl = try KubectlRunner(server: fixture.server, authority: fixture.authority, directory: directory)
            let lease: JSONValue = ["metadata": ["name": "leader"], "spec": ["holderIdentity": "me"]]
            try fixture.server.upsert(lease, resource: "leases", group: "coordination.k8s.io", namespace: "default")
            let leases = try await kubectl.run("get", "leases", "-o", "name")
            #expect(leases.stdout == "lease.coordination.k8s.io/leader\n", "\(leases.stderr)")
            let events = try await kubectl.run("get", "ev")
            #expect(events.status == 0, "\(events.stderr)")

            let manifest = try directory.write("cm.yaml", """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: ssa
                  namespace: default
                data:
                  color: blue
                """)
            let created = try await kubectl.run("apply", "--server-side", "-f", manifest)
            #expect(created.stdout.contains("configmap/ssa serverside-applied"), "\(created.stderr)")
            try fixture.server.mergePatchObject(resource: "configmaps", namespace: "default", name: "ssa",
                                                patch: Data(#"{"data":{"size":"large"}}"#.utf8))
            try directory.write("cm.yaml", """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: ssa
                  namespace: default
                data:
                  color: green
                """)
            let merged = try await kubectl.run("apply", "--server-side", "-f", manifest)
            #expect(merged.status == 0, "\(merged.stderr)")
            let data = try await kubectl.run("get", "cm", "ssa", "-o", "jsonpath={.data}")
            #expect(data.stdout == #"{"color":"green","size":"large"}"#, "\(data.stderr)")
            let apply = try #require(fixture.server.requests.first { $0.method == "PATCH" && $0.path.hasSuffix("/configmaps/ssa") })
            #expect(apply.header("Content-Type") == "application/apply-patch+yaml")
            #expect(apply.uri.contains("fieldManager=kubectl"))
        }
    }

    // MARK: - Fault injection

    @Test("injected failures answer the next matching requests with a Status, act on nothing, and count down")
    func faultInjection() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                let server = fixture.server
                server.injectFailures(count: 2) { $0.verb == "create" && $0.resource == "configmaps" }
                #expect(server.injectedFailuresRemaining == 2)
                let first = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.json(.POST, Self.cmPath, body: ["metadata": ["name": "app"]])
                }
                #expect(first?.code == 500)
                #expect(first?.reason == "InternalError")
                #expect(first?.message == "injected failure")
                #expect(server.injectedFailuresRemaining == 1)
                _ = try await client.json(.GET, "/api/v1/namespaces/default", body: nil)
                #expect(server.injectedFailuresRemaining == 1, "a request that does not match is served")
                await #expect(throws: KubeAPIError.self) {
                    _ = try await client.json(.POST, Self.cmPath, body: ["metadata": ["name": "app"]])
                }
                #expect(server.injectedFailuresRemaining == 0)
                #expect(server.object(resource: "configmaps", namespace: "default", name: "app") == nil)
                _ = try await client.json(.POST, Self.cmPath, body: ["metadata": ["name": "app"]])
                #expect(server.object(resource: "configmaps", namespace: "default", name: "app") != nil)

                let recorded = LockedBox<[KubeAPIEmulator.AccessRequest]>([])
                server.injectFailures(count: 1, status: 409, reason: "Conflict", message: "try again") { summary in
                    recorded.update { $0.append(summary) }
                    return summary.subresource == nil && summary.name == "app" && summary.verb == "patch"
                }
                let version = server.currentResourceVersion
                let conflict = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.json(.PATCH, "\(Self.cmPath)/app", body: ["data": ["k": "v"]], contentType: "application/merge-patch+json")
                }
                #expect(conflict?.isConflict == true)
                #expect(conflict?.message == "try again")
                #expect(conflict?.status?.details?.name == "app")
                #expect(server.currentResourceVersion == version)
                let summary = try #require(recorded.value.last)
                #expect(summary.verb == "patch" && summary.group == "" && summary.resource == "configmaps")
                #expect(summary.namespace == "default" && summary.name == "app" && summary.subresource == nil)
                #expect(summary.user.name == "system:serviceaccount:verrazzano-system:verrazzano-authproxy")
                _ = try await client.json(.PATCH, "\(Self.cmPath)/app", body: ["data": ["k": "v"]], contentType: "application/merge-patch+json")
                #expect(server.injectedFailuresRemaining == 0)
                #expect(server.requests.filter { $0.method == "POST" }.count == 3, "failed requests are recorded too")
            }
        }
    }

    // MARK: - Watch history and recorded requests

    @Test("watches resume within the last watchHistoryLimit events and get 410 before them, however many were written")
    func watchHistoryLimit() async throws {
        try await DoubleFixture.with({ $0.watchHistoryLimit = 10 }) { fixture in
            try await fixture.withClient { client in
                let first = fixture.server.currentResourceVersion
                var versions: [String] = []
                for index in 0..<200 {
                    _ = try await client.json(.POST, Self.cmPath, body: ["metadata": ["name": .string("cm-\(index)")]])
                    versions.append(fixture.server.currentResourceVersion)
                }
                #expect(try await client.events(.configMaps, namespace: "default", since: versions[194], fixture)
                    == (195..<200).map { "ADDED cm-\($0)" })
                #expect(try await client.events(.configMaps, namespace: "default", since: versions[189], fixture).count == 10)
                let gone = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.events(.configMaps, namespace: "default", since: first, fixture)
                }
                #expect(gone?.code == 410)
            }
        }
    }

    @Test("with recordsRequests off no request is kept")
    func recordsRequestsOff() async throws {
        try await DoubleFixture.with({ $0.recordsRequests = false }) { fixture in
            try await fixture.withClient { client in
                _ = try await client.json(.POST, Self.cmPath, body: ["metadata": ["name": "app"]])
                _ = try await client.json(.GET, "\(Self.cmPath)/app")
                #expect(fixture.server.requests.isEmpty)
                #expect(fixture.server.objectNames(resource: "configmaps", namespace: "default") == ["app"])
            }
        }
    }

    // MARK: - Test hooks

    @Test("mergePatchObject and deleteObject follow the request rules: no-op, finalizers, refusals")
    func testHooks() async throws {
        try await DoubleFixture.with { fixture in
            let server = fixture.server
            let guarded: JSONValue = ["metadata": ["name": "app", "finalizers": ["example.com/keep"]], "data": ["k": "v"]]
            try server.upsert(guarded, resource: "configmaps", namespace: "default")
            let version = server.currentResourceVersion
            try server.mergePatchObject(resource: "configmaps", name: "app", patch: Data(#"{"data":{"k":"v"}}"#.utf8))
            #expect(server.currentResourceVersion == version, "a no-op patch keeps the version")

            try server.deleteObject(resource: "configmaps", namespace: "default", name: "app")
            let marked = try #require(server.object(resource: "configmaps", namespace: "default", name: "app"))
            let markedJSON = try JSONDecoder().decode(JSONValue.self, from: marked)
            #expect(markedJSON["metadata"]?["deletionTimestamp"]?.stringValue != nil)

            let refused = #expect(throws: KubeEmulatorTestHookError.self) {
                try server.mergePatchObject(resource: "configmaps", name: "app",
                                            patch: Data(#"{"metadata":{"finalizers":["example.com/keep","example.com/more"]}}"#.utf8))
            }
            #expect(refused?.code == 422)
            #expect(refused?.reason == "Invalid")

            let last = try server.mergePatchObject(resource: "configmaps", name: "app", patch: Data(#"{"metadata":{"finalizers":[]}}"#.utf8))
            #expect(try JSONDecoder().decode(JSONValue.self, from: last)["data"] == ["k": "v"])
            #expect(server.object(resource: "configmaps", namespace: "default", name: "app") == nil)
            let events = try await fixture.withClient { client in
                try await client.events(.configMaps, namespace: "default", since: version, fixture)
            }
            #expect(events == ["MODIFIED app", "DELETED app"])

            let missing = #expect(throws: KubeEmulatorTestHookError.self) {
                try server.deleteObject(resource: "configmaps", name: "app")
            }
            #expect(missing?.code == 404)
            #expect(missing?.message == "configmaps \"app\" not found")
        }
    }
}

/// A value shared with a `@Sendable` closure.
final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) { self.stored = value }

    var value: Value { self.lock.withLock { self.stored } }

    func update(_ change: (inout Value) -> Void) { self.lock.withLock { change(&self.stored) } }
}

extension JSONValue {
    /// Compact JSON bytes for a request body, as the client writes them: no `\/` (kube-apiserver's YAML reader
    /// refuses it in apply bodies), sorted keys.
    var buffer: ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return ByteBuffer(string: String(decoding: (try? encoder.encode(self)) ?? Data("null".utf8), as: UTF8.self))
    }
}

extension KubernetesClient {
    /// A raw request with an optional JSON body; the response body as JSON.
    func json(
        _ method: HTTPMethod,
        _ path: String,
        body: JSONValue? = nil,
        contentType: String = "application/json"
    ) async throws -> JSONValue {
        let response = try await self.send(method: method, path: path, body: body?.buffer, contentType: contentType)
        return try JSONDecoder().decode(JSONValue.self, from: Data(String(buffer: response).utf8))
    }

    /// Server-side apply as field manager `tests`.
    @discardableResult
    func apply(_ path: String, _ configuration: JSONValue, force: Bool = false) async throws -> JSONValue {
        var query = [("fieldManager", "tests")]
        if force { query.append(("force", "true")) }
        let response = try await self.send(method: .PATCH, path: path, query: query, body: configuration.buffer,
                                           contentType: "application/apply-patch+yaml")
        return try JSONDecoder().decode(JSONValue.self, from: Data(String(buffer: response).utf8))
    }

    /// The events after `version` as `TYPE name`, replayed by a watch that the server then ends.
    func events(
        _ resource: KubeResource,
        namespace: String?,
        since version: String,
        _ fixture: DoubleFixture
    ) async throws -> [String] {
        var events = try await self.watch(JSONValue.self, resource, namespace: namespace,
                                          options: KubeListOptions(resourceVersion: version), timeout: .seconds(10))
            .makeAsyncIterator()
        fixture.server.endAllWatches()
        var seen: [String] = []
        while let event = try await events.next() {
            seen.append("\(event.type.rawValue) \(event.object["metadata"]?["name"]?.stringValue ?? "")")
        }
        return seen
    }
}
