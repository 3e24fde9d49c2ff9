import Foundation
import KubeClient
import NIOCore
import NIOHTTP1
import Testing
import VZAuthTestSupport

/// The double reads server-side apply bodies as kube-apiserver does: YAML through go-yaml v2's rules (sigs.k8s.io/yaml),
/// so a body the API server refuses is refused here too.
@Suite("API server double: apply bodies are read like kube-apiserver reads them")
struct KubeAPIEmulatorApplyTests {
    static let widgets = KubeAPIEmulatorStoreTests.widgets
    static let widgetPath = "/apis/example.com/v1/namespaces/default/widgets"
    static let cmPath = "/api/v1/namespaces/default/configmaps"

    @Test("an escaped slash is refused with the API server's 400 and stores nothing; the same body without it is created")
    func escapedSlash() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                let escaped = #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"app"},"data":{"url":"https:\/\/example.com\/a"}}"#
                let refused = await #expect(throws: KubeAPIError.self) {
                    try await client.applyText("\(Self.cmPath)/app", escaped)
                }
                #expect(refused?.code == 400)
                #expect(refused?.reason == "BadRequest")
                #expect(refused?.message == "error decoding YAML: error converting YAML to JSON: yaml: found unknown escape character")
                #expect(fixture.server.object(resource: "configmaps", namespace: "default", name: "app") == nil)

                let plain = escaped.replacingOccurrences(of: #"\/"#, with: "/")
                let created = try await client.applyText("\(Self.cmPath)/app", plain)
                #expect(created["data"] == ["url": "https://example.com/a"])
            }
        }
    }

    @Test("an escape go-yaml v2 refuses is found on any line and in keys, worded with go-yaml's line number")
    func escapeErrorLines() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                let yaml = """
                    apiVersion: v1
                    kind: ConfigMap
                    metadata: {name: app}
                    data:
                      "a\\/b": x

                    """
                let refused = await #expect(throws: KubeAPIError.self) {
                    try await client.applyText("\(Self.cmPath)/app", yaml)
                }
                #expect(refused?.message == "error decoding YAML: error converting YAML to JSON: yaml: line 5: found unknown escape character")
                let unknown = await #expect(throws: KubeAPIError.self) {
                    try await client.applyText("\(Self.cmPath)/app", #"{"apiVersion":"v1","kind":"ConfigMap","data":{"a":"\q"}}"#)
                }
                #expect(unknown?.message == "error decoding YAML: error converting YAML to JSON: yaml: found unknown escape character")
                #expect(fixture.server.object(resource: "configmaps", namespace: "default", name: "app") == nil)
            }
        }
    }

    @Test(#"JSON escapes \" \\ \n \t \u00e9 (and go-yaml's \' and \x41) are read as the API server reads them"#)
    func jsonEscapes() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                let body = #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"app"},"data":{"quote":"say \"hi\"","backslash":"a\\b","newline":"1\n2","tab":"a\tb","unicode":"caf\u00e9","single":"it\'s","hex":"\x41"}}"#
                let created = try await client.applyText("\(Self.cmPath)/app", body)
                #expect(created["data"] == [
                    "quote": "say \"hi\"", "backslash": "a\\b", "newline": "1\n2", "tab": "a\tb", "unicode": "café",
                    "single": "it's", "hex": "A",
                ])
            }
        }
    }

    @Test("a block YAML body is applied, with go-yaml v2's typing of plain scalars")
    func blockYAML() async throws {
        try await DoubleFixture.with({ $0.additionalResources = [Self.widgets] }) { fixture in
            try await fixture.withClient { client in
                let yaml = """
                    # a comment
                    apiVersion: example.com/v1
                    kind: Widget
                    metadata:
                      name: w
                      labels:
                        app.kubernetes.io/name: widget
                    spec:
                      replicas: 3
                      enabled: yes
                      off: off
                      ratio: 1.5
                      whole: 2.0
                      big: 1e3
                      hex: 0x1F
                      octal: 010
                      grouped: 1_000
                      quoted: "007"
                      single: 'it''s'
                      nothing: ~
                      empty:
                      date: 2001-12-14
                      version: 1.2.3
                      list: [a, 1, true]
                      text: |
                        line one
                        line two
                      1: one

                    """
                let created = try await client.applyText("\(Self.widgetPath)/w", yaml)
                #expect(created["metadata"]?["labels"] == ["app.kubernetes.io/name": "widget"])
                // YAML 1.1 as go-yaml v2 reads it: the plain key `off` is the boolean false, whose JSON key is "false".
                #expect(created["spec"] == [
                    "replicas": 3, "enabled": true, "false": false, "ratio": 1.5, "whole": 2, "big": 1000, "hex": 31,
                    "octal": 8, "grouped": 1000, "quoted": "007", "single": "it's", "nothing": nil, "empty": nil,
                    "date": "2001-12-14", "version": "1.2.3", "list": ["a", 1, true], "text": "line one\nline two\n",
                    "1": "one",
                ])
                let stored = try #require(fixture.server.object(resource: "widgets", group: "example.com", namespace: "default", name: "w"))
                #expect(try JSONDecoder().decode(JSONValue.self, from: stored)["spec"]?["replicas"] == 3)
            }
        }
    }

    @Test("broken YAML, a document that is not a mapping, and values JSON cannot hold are refused with 400")
    func unreadableBodies() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                let path = "\(Self.cmPath)/app"
                let broken = await #expect(throws: KubeAPIError.self) {
                    try await client.applyText(path, "apiVersion: v1\nkind: ConfigMap\ndata: [1, 2\n")
                }
                #expect(broken?.code == 400)
                #expect(broken?.message.hasPrefix("error decoding YAML: error converting YAML to JSON: yaml: ") == true)
                let list = await #expect(throws: KubeAPIError.self) {
                    try await client.applyText(path, "- a\n- b\n")
                }
                #expect(list?.message == "error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}")
                let notANumber = await #expect(throws: KubeAPIError.self) {
                    try await client.applyText(path, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\nspec: {x: .nan}\n")
                }
                #expect(notANumber?.message == "error decoding YAML: error converting YAML to JSON: json: unsupported value: NaN")
                let surrogate = await #expect(throws: KubeAPIError.self) {
                    try await client.applyText(path, #"{"apiVersion":"v1","kind":"ConfigMap","data":{"a":"\ud83d\ude00"}}"#)
                }
                #expect(surrogate?.message == "error decoding YAML: error converting YAML to JSON: yaml: found invalid Unicode character escape code")
                let empty = await #expect(throws: KubeAPIError.self) {
                    try await client.applyText(path, "")
                }
                #expect(empty?.message == "Incorrect version specified in apply patch. Specified patch version: , expected: v1")
                #expect(fixture.server.object(resource: "configmaps", namespace: "default", name: "app") == nil)
            }
        }
    }

    @Test("an ASCII JSON body (read as JSON, faster) gives what the same body read as YAML gives")
    func jsonAndYAMLAgree() async throws {
        try await DoubleFixture.with({ $0.additionalResources = [Self.widgets] }) { fixture in
            try await fixture.withClient { client in
                let spec = #""spec":{"one":1.0,"big":1e3,"huge":1e21,"zero":-0,"beyond":18446744073709551615,"tiny":0.5,"t":true,"n":null,"s":"a\"b\u0041"}"#
                let ascii = try await client.applyText("\(Self.widgetPath)/a", #"{"apiVersion":"example.com/v1","kind":"Widget",\#(spec),"note":"plain"}"#)
                let yaml = try await client.applyText("\(Self.widgetPath)/b", #"{"apiVersion":"example.com/v1","kind":"Widget",\#(spec),"note":"café"}"#)
                #expect(ascii["spec"] == yaml["spec"])
                #expect(ascii["spec"]?["one"] == 1)
                #expect(ascii["spec"]?["big"] == 1000)
                #expect(ascii["spec"]?["zero"] == 0)
                #expect(ascii["spec"]?["tiny"] == 0.5)
                #expect(ascii["spec"]?["s"] == "a\"bA")
                let escaped = await #expect(throws: KubeAPIError.self) {
                    try await client.applyText("\(Self.widgetPath)/c", "{\"apiVersion\":\"example.com/v1\",\n\"kind\":\"Widget\",\n\"spec\":{\"a\":\"\\/\"}}")
                }
                #expect(escaped?.message == "error decoding YAML: error converting YAML to JSON: yaml: line 3: found unknown escape character")
            }
        }
    }

    @Test("application/apply-patch+cbor is refused with 415, as while the CBOR feature is off")
    func cborApply() async throws {
        try await DoubleFixture.with { fixture in
            try await fixture.withClient { client in
                let refused = await #expect(throws: KubeAPIError.self) {
                    _ = try await client.send(method: .PATCH, path: "\(Self.cmPath)/app", query: [("fieldManager", "tests")],
                                              body: ByteBuffer(bytes: [0xA0]), contentType: "application/apply-patch+cbor")
                }
                #expect(refused?.code == 415)
                #expect(refused?.message == "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml")
            }
        }
    }

    @Test("an apply that creates the object needs create as well as patch, one that changes it only patch")
    func applyCreateNeedsCreate() async throws {
        try await DoubleFixture.with({ $0.authorization = .custom { $0.verb != "create" } }) { fixture in
            try await fixture.withClient { client in
                let body = #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"app"},"data":{"a":"b"}}"#
                let refused = await #expect(throws: KubeAPIError.self) {
                    try await client.applyText("\(Self.cmPath)/app", body)
                }
                #expect(refused?.code == 403)
                #expect(refused?.message.contains(#"cannot create resource "configmaps""#) == true, "\(String(describing: refused))")
                #expect(fixture.server.object(resource: "configmaps", namespace: "default", name: "app") == nil)

                try fixture.server.upsert(["metadata": ["name": "app"], "data": ["a": "old"]] as [String: [String: String]],
                                          resource: "configmaps", namespace: "default")
                let changed = try await client.applyText("\(Self.cmPath)/app", body)
                #expect(changed["data"] == ["a": "b"])
            }
        }
    }
}

extension KubernetesClient {
    /// Server-side apply of `text` as field manager `tests`; the response as JSON.
    @discardableResult
    func applyText(_ path: String, _ text: String) async throws -> JSONValue {
        let response = try await self.send(method: .PATCH, path: path, query: [("fieldManager", "tests")],
                                           body: ByteBuffer(string: text), contentType: "application/apply-patch+yaml")
        return try JSONDecoder().decode(JSONValue.self, from: Data(String(buffer: response).utf8))
    }
}
