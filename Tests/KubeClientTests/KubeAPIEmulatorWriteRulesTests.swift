import Foundation
import KubeClient
import NIOCore
import NIOHTTP1
import Testing
import VZAuthTestSupport

/// The double's write paths follow kube-apiserver's rules: media types per verb, write options, resourceVersion
/// on create and update, generated names, dry runs.
@Suite("API server double: write rules")
struct KubeAPIEmulatorWriteRulesTests {
    static let widgets = KubeAPIEmulatorStoreTests.widgets
    static let widgetPath = "/apis/example.com/v1/namespaces/default/widgets"
    static let cmPath = "/api/v1/namespaces/default/configmaps"
    static let allPatchTypes = "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml"

    // MARK: - Media types

    @Test("PATCH takes JSON patches, merge patches, strategic merge patches (built-in types only) and apply; others get 415")
    func patchMediaTypes() async throws {
        try await DoubleFixture.with({ $0.additionalResources = [Self.widgets] }) { fixture in
            try await fixture.withClient { client in
                let path = "\(Self.cmPath)/app"
                _ = try await client.json(.POST, Self.cmPath, body: ["metadata": ["name": "app"], "data": ["a": "1", "c": "3"]])
                let patched = try await client.raw(.PATCH, path, #"""
                    [{"op":"add","path":"/data/b","value":"2"},{"op":"replace","path":"/data/a","value":"x"},
                     {"op":"remove","path":"/data/c"},{"op":"test","path":"/data/a","value":"x"},
                     {"op":"add","path":"/metadata/labels","value":{"a~b/c":"d"}},{"op":"copy","from":"/data/b","path":"/data/d"},
                     {"op":"move","from":"/data/d","path":"/data/e"}]
                    """#, contentType: "application/json-patch+json")
                #expect(patched["data"] == ["a": "x", "b": "2", "e": "2"])
                #expect(patched["metadata"]?["labels"] == ["a~b/c": "d"])
                let escaped = try await client.raw(.PATCH, path, #"[{"op":"replace","path":"/metadata/labels/a~0b~1c","value":"e"}]"#,
                                                   contentType: "application/json-patch+json")
                #expect(escaped["metadata"]?["labels"] == ["a~b/c": "e"])

                let version = fixture.server.currentResourceVersion
                let failedTest = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.raw(.PATCH, path, #"[{"op":"replace","path":"/data/a","value":"y"},{"op":"test","path":"/data/a","value":"z"}]"#,
                                             contentType: "application/json-patch+json")
                }
                #expect(failedTest?.code == 422)
                #expect(failedTest?.reason == "Invalid")
                #expect(failedTest?.message == "the server rejected our request due to an error in our request")
                #expect(fixture.server.currentResourceVersion == version, "a failed patch changes nothing")
                let missing = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.raw(.PATCH, path, #"[{"op":"remove","path":"/data/nothing"}]"#, contentType: "application/json-patch+json")
                }
                #expect(missing?.code == 422)
                let malformed = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.raw(.PATCH, path, #"{"op":"add"}"#, contentType: "application/json-patch+json")
                }
                #expect(malformed?.code == 400)

                let strategic = try await client.raw(.PATCH, path, #"{"data":{"b":null,"f":"6"}}"#,
                                                     contentType: "application/strategic-merge-patch+json; charset=utf-8")
                #expect(strategic["data"] == ["a": "x", "e": "2", "f": "6"])

                _ = try await client.json(.POST, Self.widgetPath, body: ["apiVersion": "example.com/v1", "kind": "Widget", "metadata": ["name": "w"]])
                let customStrategic = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.raw(.PATCH, "\(Self.widgetPath)/w", #"{"spec":{"size":1}}"#, contentType: "application/strategic-merge-patch+json")
                }
                #expect(customStrategic?.code == 415)
                #expect(customStrategic?.reason == "UnsupportedMediaType")
                #expect(customStrategic?.message == "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
                let customJSONPatch = try await client.raw(.PATCH, "\(Self.widgetPath)/w", #"[{"op":"add","path":"/spec","value":{"size":1}}]"#,
                                                           contentType: "application/json-patch+json")
                #expect(customJSONPatch["spec"] == ["size": 1])

                let unknown = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.raw(.PATCH, path, #"{"data":{}}"#, contentType: "application/json")
                }
                #expect(unknown?.code == 415)
                #expect(unknown?.message == "the body of the request was in an unknown format - accepted media types include: \(Self.allPatchTypes)")
            }
        }
    }

    @Test("POST and PUT take JSON and YAML bodies (YAML read like apply bodies); other media types get 415")
    func createMediaTypes() async throws {
        try await DoubleFixture.with({ $0.additionalResources = [Self.widgets] }) { fixture in
            try await fixture.withClient { client in
                let created = try await client.raw(.POST, Self.cmPath, "metadata:\n  name: app\ndata:\n  url: https://example.com/x\n",
                                                   contentType: "application/yaml")
                #expect(created["data"] == ["url": "https://example.com/x"])
                let json = try await client.raw(.POST, Self.cmPath, #"{"metadata":{"name":"json"},"data":{"url":"https:\/\/example.com"}}"#)
                #expect(json["data"] == ["url": "https://example.com"], #"JSON bodies may escape "/""#)

                let escapedYAML = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.raw(.POST, Self.cmPath, #"{"metadata":{"name":"yaml"},"data":{"url":"https:\/\/example.com"}}"#,
                                             contentType: "application/yaml")
                }
                #expect(escapedYAML?.code == 400)
                #expect(escapedYAML?.message.hasPrefix("the object provided is unrecognized (must be of type ConfigMap): error converting YAML to JSON: yaml: found unknown escape character (") == true)

                let mergePatchType = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.raw(.POST, Self.cmPath, #"{"metadata":{"name":"other"}}"#, contentType: "application/merge-patch+json")
                }
                #expect(mergePatchType?.code == 415)
                #expect(mergePatchType?.message == "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf")
                var replacement = created
                replacement["data"] = ["url": "changed"]
                let text = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.raw(.PUT, "\(Self.cmPath)/app", String(decoding: replacement.buffer.readableBytesView, as: UTF8.self),
                                             contentType: "text/plain")
                }
                #expect(text?.code == 415)
                let custom = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.raw(.POST, Self.widgetPath, #"{"metadata":{"name":"w"}}"#, contentType: "application/vnd.kubernetes.protobuf")
                }
                #expect(custom?.message == "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml")
                #expect(fixture.server.objectNames(resource: "configmaps", namespace: "default") == ["app", "json"])
            }
        }
    }

    // MARK: - Write options

    @Test("fieldManager longer than 128 bytes or not printable is refused with 422 on every write; force only on apply")
    func fieldManagerRules() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                let long = String(repeating: "m", count: 129)
                let create = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.raw(.POST, Self.cmPath, #"{"metadata":{"name":"app"}}"#, query: [("fieldManager", long)])
                }
                #expect(create?.code == 422)
                #expect(create?.message == #"CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: must have at most 128 bytes"#)
                #expect(create?.status?.details?.causes?.first?.reason == "FieldValueTooLong")
                _ = try await client.raw(.POST, Self.cmPath, #"{"metadata":{"name":"app"}}"#,
                                         query: [("fieldManager", String(repeating: "m", count: 128))])

                let update = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.raw(.PUT, "\(Self.cmPath)/app", #"{"metadata":{"name":"app"}}"#, query: [("fieldManager", long)])
                }
                #expect(update?.message == #"UpdateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: must have at most 128 bytes"#)
                let patch = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.raw(.PATCH, "\(Self.cmPath)/app", "{}", query: [("fieldManager", long)],
                                             contentType: "application/merge-patch+json")
                }
                #expect(patch?.message == #"PatchOptions.meta.k8s.io "" is invalid: fieldManager: Too long: must have at most 128 bytes"#)
                let apply = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.raw(.PATCH, "\(Self.cmPath)/app", #"{"apiVersion":"v1","kind":"ConfigMap"}"#,
                                             query: [("fieldManager", long)], contentType: "application/apply-patch+yaml")
                }
                #expect(apply?.message == #"PatchOptions.meta.k8s.io "" is invalid: fieldManager: Too long: must have at most 128 bytes"#)
                let control = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.raw(.POST, Self.cmPath, #"{"metadata":{"name":"bell"}}"#, query: [("fieldManager", "a\u{7}")])
                }
                #expect(control?.message == #"CreateOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: "a\x07": invalid character U+0007 (at position 1)"#)
                let force = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.raw(.PATCH, "\(Self.cmPath)/app", "{}", query: [("force", "true")],
                                             contentType: "application/merge-patch+json")
                }
                #expect(force?.message == #"PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch"#)
                let both = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.raw(.PATCH, "\(Self.cmPath)/app", #"{"apiVersion":"v1","kind":"ConfigMap"}"#,
                                             query: [("dryRun", "Yes")], contentType: "application/apply-patch+yaml")
                }
                #expect(both?.message == #"PatchOptions.meta.k8s.io "" is invalid: [fieldManager: Required value: is required for apply patch, dryRun: Unsupported value: []string{"Yes"}: supported values: "All"]"#)
                #expect(both?.status?.details?.causes?.count == 2)
                #expect(fixture.server.objectNames(resource: "configmaps", namespace: "default") == ["app"])
            }
        }
    }

    // MARK: - resourceVersion

    @Test("a create with resourceVersion gets the storage layer's 500; a custom resource's update needs one (422)")
    func resourceVersionRules() async throws {
        try await DoubleFixture.with({ $0.additionalResources = [Self.widgets] }) { fixture in
            try await fixture.withClient { client in
                let message = "resourceVersion should not be set on objects to be created"
                let create = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.json(.POST, Self.cmPath, body: ["metadata": ["name": "app", "resourceVersion": "5"]])
                }
                #expect(create?.code == 500)
                #expect(create?.message == message)
                #expect(create?.status?.reason == nil, "an unclassified error has no reason")
                let apply = await #expect(throws: KubeAPIError.self) {
                    try await client.apply("\(Self.cmPath)/app", ["apiVersion": "v1", "kind": "ConfigMap",
                                                                  "metadata": ["name": "app", "resourceVersion": "5"]])
                }
                #expect(apply?.code == 500)
                #expect(apply?.message == message)
                #expect(fixture.server.object(resource: "configmaps", namespace: "default", name: "app") == nil)

                let created = try await client.json(.POST, Self.widgetPath, body: [
                    "apiVersion": "example.com/v1", "kind": "Widget", "metadata": ["name": "w"], "spec": ["size": 1],
                ])
                var unconditional = created
                unconditional["metadata"]?["resourceVersion"] = nil
                unconditional["spec"] = ["size": 2]
                for path in ["\(Self.widgetPath)/w", "\(Self.widgetPath)/w/status"] {
                    let refused = await #expect(throws: KubeAPIError.self) {
                        _ = try await client.json(.PUT, path, body: unconditional)
                    }
                    #expect(refused?.code == 422)
                    #expect(refused?.message == #"widgets.example.com "w" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update"#)
                    #expect(refused?.status?.details?.causes?.first?.field == "metadata.resourceVersion")
                }
                var conditional = unconditional
                conditional["metadata"]?["resourceVersion"] = created["metadata"]?["resourceVersion"]
                let updated = try await client.json(.PUT, "\(Self.widgetPath)/w", body: conditional)
                #expect(updated["spec"] == ["size": 2])

                let configMap = try await client.json(.POST, Self.cmPath, body: ["metadata": ["name": "cm"]])
                var built = configMap
                built["metadata"]?["resourceVersion"] = nil
                built["data"] = ["k": "v"]
                let builtIn = try await client.json(.PUT, "\(Self.cmPath)/cm", body: built)
                #expect(builtIn["data"] == ["k": "v"], "built-in types allow unconditional updates")
            }
        }
    }

    // MARK: - generateName

    @Test("generateName gets five characters of the API server's alphabet, the prefix cut to 58")
    func generateName() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                let alphabet = Set("bcdfghjklmnpqrstvwxz2456789")
                let event = try await client.json(.POST, "/api/v1/namespaces/default/events", body: [
                    "metadata": ["generateName": "app."], "reason": "Synced", "involvedObject": ["kind": "ConfigMap", "name": "app"],
                ])
                let name = try #require(event["metadata"]?["name"]?.stringValue)
                #expect(name.hasPrefix("app.") && name.count == 9)
                #expect(name.dropFirst(4).allSatisfy(alphabet.contains))
                let prefix = String(repeating: "p", count: 70)
                let long = try await client.json(.POST, Self.cmPath, body: ["metadata": ["generateName": .string(prefix)]])
                let longName = try #require(long["metadata"]?["name"]?.stringValue)
                #expect(longName.count == 63)
                #expect(longName.hasPrefix(String(repeating: "p", count: 58)))
                #expect(long["metadata"]?["generateName"]?.stringValue == prefix)
            }
        }
    }

    // MARK: - Apply conflicts

    @Test("an apply that changes a field another manager set fails with the API server's 409 unless forced")
    func applyConflicts() async throws {
        try await DoubleFixture.with({ $0.additionalResources = [Self.widgets] }) { fixture in
            try await fixture.withClient { client in
                let path = "\(Self.cmPath)/app"
                func apply(_ manager: String, _ data: JSONValue, force: Bool = false) async throws -> JSONValue {
                    let body: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "app"], "data": data]
                    return try await client.raw(.PATCH, path, String(decoding: body.buffer.readableBytesView, as: UTF8.self),
                                                query: [("fieldManager", manager)] + (force ? [("force", "true")] : []),
                                                contentType: "application/apply-patch+yaml")
                }
                _ = try await apply("a", ["k": "1", "j": "1"])
                let version = fixture.server.currentResourceVersion
                let conflict = await #expect(throws: KubeAPIError.self) { _ = try await apply("b", ["k": "2"]) }
                #expect(conflict?.code == 409)
                #expect(conflict?.reason == "Conflict")
                #expect(conflict?.message == #"Apply failed with 1 conflict: conflict with "a": .data.k"#)
                let cause = try #require(conflict?.status?.details?.causes?.first)
                #expect(cause.reason == "FieldManagerConflict")
                #expect(cause.message == #"conflict with "a""#)
                #expect(cause.field == ".data.k")
                #expect(fixture.server.currentResourceVersion == version, "a conflict changes nothing")

                _ = try await apply("b", ["k": "1"])
                let shared = await #expect(throws: KubeAPIError.self) { _ = try await apply("a", ["k": "3", "j": "1"]) }
                #expect(shared?.message == #"Apply failed with 1 conflict: conflict with "b": .data.k"#, "applying the same value shares the field")
                let forced = try await apply("b", ["k": "4"], force: true)
                #expect(forced["data"] == ["k": "4", "j": "1"])
                let lost = await #expect(throws: KubeAPIError.self) { _ = try await apply("a", ["k": "1", "j": "1"]) }
                #expect(lost?.message == #"Apply failed with 1 conflict: conflict with "b": .data.k"#, "force took the field from a")
                _ = try await apply("a", ["k": "4"])
                _ = try await apply("c", ["j": "2"])

                _ = try await client.raw(.PATCH, path, #"{"data":{"k":"5","m":"1"}}"#, query: [("fieldManager", "editor")],
                                         contentType: "application/merge-patch+json")
                let both = await #expect(throws: KubeAPIError.self) { _ = try await apply("c", ["j": "3", "k": "6", "m": "2"]) }
                #expect(both?.message == """
                    Apply failed with 2 conflicts: conflicts with "editor" using v1:
                    - .data.k
                    - .data.m
                    """)
                #expect(both?.status?.details?.causes?.map(\.field) == [".data.k", ".data.m"])

                _ = try await client.json(.POST, Self.widgetPath, body: ["apiVersion": "example.com/v1", "kind": "Widget", "metadata": ["name": "w"]])
                _ = try await client.raw(.PATCH, "\(Self.widgetPath)/w/status", #"{"status":{"phase":"Up"}}"#,
                                         query: [("fieldManager", "reporter")], contentType: "application/merge-patch+json")
                let status = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.raw(.PATCH, "\(Self.widgetPath)/w/status",
                                             #"{"apiVersion":"example.com/v1","kind":"Widget","status":{"phase":"Down"}}"#,
                                             query: [("fieldManager", "a")], contentType: "application/apply-patch+yaml")
                }
                #expect(status?.message == #"Apply failed with 1 conflict: conflict with "reporter" with subresource "status" using example.com/v1: .status.phase"#)
                let main = try await client.raw(.PATCH, "\(Self.widgetPath)/w",
                                                #"{"apiVersion":"example.com/v1","kind":"Widget","spec":{"size":1},"status":{"phase":"Down"}}"#,
                                                query: [("fieldManager", "a")], contentType: "application/apply-patch+yaml")
                #expect(main["status"] == ["phase": "Up"], "an apply to the main resource sets no status, so it has no status conflict")
            }
        }
    }

    // MARK: - dryRun

    @Test("dryRun=All answers as the write would, without storing or sending events; other values get 422")
    func dryRun() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                let server = fixture.server
                let dry = [("dryRun", "All")]
                let notCreated = try await client.raw(.POST, Self.cmPath, #"{"metadata":{"name":"app"},"data":{"k":"v"}}"#, query: dry)
                #expect(notCreated["metadata"]?["uid"]?.stringValue?.isEmpty == false)
                #expect(notCreated["metadata"]?["resourceVersion"] == nil)
                #expect(server.object(resource: "configmaps", namespace: "default", name: "app") == nil)

                let created = try await client.json(.POST, Self.cmPath, body: ["metadata": ["name": "app", "finalizers": ["example.com/keep"]],
                                                                              "data": ["k": "v"]])
                let version = server.currentResourceVersion
                var changed = created
                changed["data"] = ["k": "w"]
                let updated = try await client.raw(.PUT, "\(Self.cmPath)/app", String(decoding: changed.buffer.readableBytesView, as: UTF8.self), query: dry)
                #expect(updated["data"] == ["k": "w"])
                #expect(updated["metadata"]?["resourceVersion"] == created["metadata"]?["resourceVersion"])
                let patched = try await client.raw(.PATCH, "\(Self.cmPath)/app", #"{"data":{"x":"y"}}"#, query: dry,
                                                   contentType: "application/merge-patch+json")
                #expect(patched["data"] == ["k": "v", "x": "y"])
                let applied = try await client.raw(.PATCH, "\(Self.cmPath)/app", #"{"apiVersion":"v1","kind":"ConfigMap","data":{"k":"z"}}"#,
                                                   query: dry + [("fieldManager", "tests"), ("force", "true")],
                                                   contentType: "application/apply-patch+yaml")
                #expect(applied["data"] == ["k": "z"])
                let marked = try await client.raw(.DELETE, "\(Self.cmPath)/app", "", query: dry)
                #expect(marked["metadata"]?["deletionTimestamp"] != nil)
                _ = try await client.json(.DELETE, "\(Self.cmPath)/app", body: ["dryRun": ["All"]])
                #expect(server.currentResourceVersion == version, "nothing was stored")
                let stored = try await client.json(.GET, "\(Self.cmPath)/app")
                #expect(stored == created)

                let bogus = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.raw(.POST, Self.cmPath, #"{"metadata":{"name":"other"}}"#, query: [("dryRun", "Bogus")])
                }
                #expect(bogus?.code == 422)
                #expect(bogus?.message == #"CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Bogus"}: supported values: "All""#)
                let bogusDelete = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.json(.DELETE, "\(Self.cmPath)/app", body: ["dryRun": ["Some"]])
                }
                #expect(bogusDelete?.message == #"DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Some"}: supported values: "All""#)
            }
        }
    }
}

extension KubernetesClient {
    /// A raw request with a text body (none when empty) and query; the response body as JSON.
    func raw(
        _ method: HTTPMethod,
        _ path: String,
        _ body: String,
        query: [(String, String)] = [],
        contentType: String = "application/json"
    ) async throws -> JSONValue {
        let response = try await self.send(method: method, path: path, query: query,
                                           body: body.isEmpty ? nil : ByteBuffer(string: body), contentType: contentType)
        return try JSONDecoder().decode(JSONValue.self, from: Data(String(buffer: response).utf8))
    }
}
