import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import KubeEmulator
import KubeModels
import Testing

/// The emulator in RBAC mode, over plain HTTP: what it answers and why.
@Suite("KubeAPIEmulator with RBAC")
struct KubeAPIEmulatorRBACTests {
    static let users: [String: KubeUser] = [
        "carol-token": KubeUser(name: "carol", groups: [KubeUser.authenticatedGroup]),
        "dave-token": KubeUser(name: "dave", groups: ["readers", KubeUser.authenticatedGroup]),
        "root-token": KubeUser(name: "root", groups: [KubeUser.privilegedGroup, KubeUser.authenticatedGroup]),
    ]

    static func with(_ body: (KubeAPIEmulator) async throws -> Void) async throws {
        var configuration = KubeAPIEmulator.Configuration()
        configuration.authorization = .rbac
        configuration.additionalTokens = Self.users
        let server = try await KubeAPIEmulator.start(configuration: configuration)
        do {
            try await body(server)
        } catch {
            try? await server.shutdown()
            throw error
        }
        try await server.shutdown()
    }

    /// Sends a request and returns the status code and the body as JSON (or text).
    static func send(_ server: KubeAPIEmulator, _ method: String, _ path: String, token: String,
                     headers: [String: String] = [:], body: String? = nil) async throws -> (status: Int, body: [String: Any], text: String) {
        var request = URLRequest(url: URL(string: server.baseURL + path)!)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, object, String(decoding: data, as: UTF8.self))
    }

    static let readers = RoleBinding(
        metadata: KubeObjectMeta(name: "readers", namespace: "default"), roleRef: .clusterRole("view"), subjects: [.group("readers")])

    @Test("the bootstrap policy is stored, and the policy follows the stored bindings (aggregation resolved)")
    func policyFollowsTheStore() async throws {
        try await Self.with { server in
            #expect(server.objectNames(resource: "clusterroles", group: "rbac.authorization.k8s.io").contains("system:basic-user"))
            let dave = try #require(Self.users["dave-token"])
            #expect(!server.rbacPolicy.authorize(.resource(dave, "list", "pods", namespace: "default")).allowed)
            try server.upsert(Self.readers, resource: "rolebindings", group: "rbac.authorization.k8s.io", namespace: "default")
            let decision = server.rbacPolicy.authorize(.resource(dave, "list", "pods", namespace: "default"))
            #expect(decision.allowed)
            #expect(decision.reason == #"RBAC: allowed by RoleBinding "readers/default" of ClusterRole "view" to Group "readers""#)
            #expect(!server.rbacPolicy.authorize(.resource(dave, "list", "secrets", namespace: "default")).allowed)
            // The aggregated ClusterRoles get their rules written, as by the aggregation controller.
            let view = try #require(server.object(resource: "clusterroles", group: "rbac.authorization.k8s.io", name: "view"))
            let viewRole = try JSONDecoder().decode(ClusterRole.self, from: view)
            #expect(viewRole.rules?.contains { $0.resources?.contains("pods") == true && $0.verbs.contains("list") } == true)
            server.removeObject(resource: "rolebindings", group: "rbac.authorization.k8s.io", namespace: "default", name: "readers")
            #expect(!server.rbacPolicy.authorize(.resource(dave, "list", "pods", namespace: "default")).allowed)
        }
    }

    @Test("denials answer kube-apiserver's Forbidden Status for resources, cluster scope and paths")
    func forbiddenMessages() async throws {
        try await Self.with { server in
            let list = try await Self.send(server, "GET", "/api/v1/namespaces/default/pods", token: "carol-token")
            #expect(list.status == 403)
            #expect(list.body["message"] as? String
                == #"pods is forbidden: User "carol" cannot list resource "pods" in API group "" in the namespace "default""#)
            let details = list.body["details"] as? [String: Any]
            #expect(details?["kind"] as? String == "pods")
            let node = try await Self.send(server, "GET", "/apis/apps/v1/deployments", token: "carol-token")
            #expect(node.body["message"] as? String
                == #"deployments.apps is forbidden: User "carol" cannot list resource "deployments" in API group "apps" at the cluster scope"#)
            let unknown = try await Self.send(server, "GET", "/api/v1/namespaces/default/widgets/w", token: "carol-token")
            #expect(unknown.body["message"] as? String
                == #"widgets "w" is forbidden: User "carol" cannot get resource "widgets" in API group "" in the namespace "default""#)
            let metrics = try await Self.send(server, "GET", "/metrics", token: "carol-token")
            #expect(metrics.status == 403)
            #expect(metrics.body["message"] as? String == #"forbidden: User "carol" cannot get path "/metrics""#)
            let version = try await Self.send(server, "GET", "/version", token: "carol-token")
            #expect(version.status == 200)
            let other = try await Self.send(server, "GET", "/foo", token: "carol-token")
            #expect(other.body["message"] as? String == #"forbidden: User "carol" cannot get path "/foo""#)
        }
    }

    @Test("impersonation needs the impersonate verb on each thing impersonated")
    func impersonation() async throws {
        try await Self.with { server in
            let asDave = ["Impersonate-User": "dave", "Impersonate-Group": "readers"]
            let refused = try await Self.send(server, "GET", "/api/v1/namespaces/default/pods", token: "carol-token", headers: asDave)
            #expect(refused.status == 403)
            #expect(refused.body["message"] as? String
                == #"users "dave" is forbidden: User "carol" cannot impersonate resource "users" in API group "" at the cluster scope"#)
            try server.upsert(ClusterRole(metadata: KubeObjectMeta(name: "impersonate-dave"), rules: [
                PolicyRule(apiGroups: [""], resources: ["users"], verbs: ["impersonate"], resourceNames: ["dave"]),
            ]), resource: "clusterroles", group: "rbac.authorization.k8s.io")
            try server.upsert(ClusterRoleBinding(metadata: KubeObjectMeta(name: "carol-impersonates"),
                                                 roleRef: .clusterRole("impersonate-dave"), subjects: [.user("carol")]),
                              resource: "clusterrolebindings", group: "rbac.authorization.k8s.io")
            let groupRefused = try await Self.send(server, "GET", "/api/v1/namespaces/default/pods", token: "carol-token", headers: asDave)
            #expect(groupRefused.body["message"] as? String
                == #"groups "readers" is forbidden: User "carol" cannot impersonate resource "groups" in API group "" at the cluster scope"#)
            let whoami = try await Self.send(server, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", token: "carol-token",
                                             headers: ["Impersonate-User": "dave"],
                                             body: #"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"#)
            #expect(whoami.status == 201, "\(whoami.text)")
            #expect(whoami.text.contains(#""username":"dave""#))
            #expect(whoami.text.contains(#""groups":["system:authenticated"]"#))
        }
    }

    @Test("SelfSubjectRulesReview and SubjectAccessReview answer from the policy")
    func reviews() async throws {
        try await Self.with { server in
            try server.upsert(Self.readers, resource: "rolebindings", group: "rbac.authorization.k8s.io", namespace: "default")
            let rules = try await Self.send(server, "POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", token: "dave-token",
                                            body: #"{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectRulesReview","spec":{"namespace":"default"}}"#)
            #expect(rules.status == 201, "\(rules.text)")
            let status = try #require(rules.body["status"] as? [String: Any])
            #expect(status["incomplete"] as? Bool == false)
            let resourceRules = try #require(status["resourceRules"] as? [[String: Any]])
            #expect(resourceRules.contains { ($0["resources"] as? [String])?.contains("pods") == true })
            #expect((status["nonResourceRules"] as? [[String: Any]])?.isEmpty == false)

            let review = #"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"dave","groups":["readers"],"resourceAttributes":{"verb":"list","resource":"pods","namespace":"default"}}}"#
            let byCarol = try await Self.send(server, "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", token: "carol-token", body: review)
            #expect(byCarol.status == 403)
            let byRoot = try await Self.send(server, "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews",
                                             token: "root-token", body: review)
            #expect(byRoot.status == 201, "\(byRoot.text)")
            let answer = try #require(byRoot.body["status"] as? [String: Any])
            #expect(answer["allowed"] as? Bool == true)
            #expect(answer["reason"] as? String == #"RBAC: allowed by RoleBinding "readers/default" of ClusterRole "view" to Group "readers""#)
        }
    }

    @Test("the demo content: namespaces, running pods with logs, a ConfigMap and a Secret; demo exec commands")
    func demo() async throws {
        try await Self.with { server in
            try server.seed(KubeEmulatorDemo.standard)
            #expect(server.objectNames(resource: "pods", namespace: "hello") == ["hello-web-0", "hello-web-1"])
            #expect(server.objectNames(resource: "secrets", namespace: "hello") == ["hello-web-credentials"])
            #expect(server.objectNames(resource: "configmaps", namespace: "hello") == ["hello-web"])
            let request = { (command: [String]) in
                KubeEmulatorDemo.exec(.init(namespace: "hello", pod: "hello-web-0", container: nil, command: command, stdin: false, tty: false))
            }
            #expect(request(["hostname"]).stdout == "hello-web-0\n")
            #expect(request(["echo", "hi", "there"]).stdout == "hi there\n")
            #expect(request(["ls"]).stdout.contains("index.html"))
            #expect(request(["nope"]).exitCode == 127)
        }
    }
}
