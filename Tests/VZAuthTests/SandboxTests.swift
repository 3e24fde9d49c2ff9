import Foundation
import Testing

/// `vzauth sandbox` from the built binary, as a new user runs it: then kubectl with the kubeconfigs it wrote, as
/// alice (a Verrazzano admin), bob (a monitor of project hello) and carol (no group).
@Suite("vzauth sandbox", .serialized)
struct SandboxTests {
    struct Summary: Decodable {
        struct User: Decodable {
            var name: String
            var password: String
            var kubeconfig: String
            var browserKubeconfig: String
        }
        var issuer: String
        var apiProxy: String
        var console: String
        var users: [User]
    }

    static func start(_ directory: String) async throws -> BackgroundCommand {
        let sandbox = try BackgroundCommand(BinaryLifecycleTests.binary, ["sandbox", "--dir", directory, "--emulator"])
        let started = await sandbox.waitFor(timeout: .seconds(90)) { $0.contains("vzauth sandbox is running") || !sandbox.isRunning }
        #expect(started && sandbox.isRunning, "\(sandbox.text)")
        return sandbox
    }

    static func summary(_ directory: String) throws -> Summary {
        try JSONDecoder().decode(Summary.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/sandbox.json")))
    }

    /// kubectl with `kubeconfig`, retried while the RBAC controller has not yet made the project's bindings.
    static func kubectlEventually(_ kubeconfig: String, _ arguments: String..., until done: (CommandResult) -> Bool) async throws -> CommandResult {
        var result = try await run("/usr/bin/kubectl", ["--kubeconfig", kubeconfig, "--request-timeout=20s"] + arguments)
        for _ in 0..<60 where !done(result) {
            try await Task.sleep(for: .milliseconds(250))
            result = try await run("/usr/bin/kubectl", ["--kubeconfig", kubeconfig, "--request-timeout=20s"] + arguments)
        }
        return result
    }

    @Test("kubectl works at once as alice, bob and carol, with what RBAC gives each; a second start reuses the folder")
    func kubectlAsEachUser() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-sandbox-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var sandbox = try await Self.start(directory)
        defer { sandbox.stop(grace: .seconds(10)) }
        let summary = try Self.summary(directory)
        #expect(Set(summary.users.map(\.name)) == ["alice", "bob", "carol"])
        let config = Dictionary(uniqueKeysWithValues: summary.users.map { ($0.name, $0.kubeconfig) })
        let alice = try #require(config["alice"]), bob = try #require(config["bob"]), carol = try #require(config["carol"])

        // bob monitors project hello: he reads its pods, once the RBAC controller has bound him.
        let pods = try await Self.kubectlEventually(bob, "get", "pods", "-n", "hello", "-o", "name") { $0.status == 0 }
        #expect(pods.status == 0, "\(pods.stderr)\n\(sandbox.text)")
        #expect(pods.stdout.contains("pod/"), "\(pods.stdout)")
        let secrets = try await kubectl(bob, "get", "secrets", "-A")
        #expect(secrets.status != 0)
        #expect(secrets.stderr.contains("forbidden"), "\(secrets.stderr)")
        let canI = try await kubectl(bob, "auth", "can-i", "list", "pods", "-n", "hello")
        #expect(canI.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "yes", "\(canI.stdout) \(canI.stderr)")
        let notDefault = try await kubectl(bob, "auth", "can-i", "list", "pods", "-n", "default")
        #expect(notDefault.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "no", "\(notDefault.stdout) \(notDefault.stderr)")

        // alice administers Verrazzano: secrets everywhere; whoami through the proxy.
        let aliceSecrets = try await Self.kubectlEventually(alice, "get", "secrets", "-A") { $0.status == 0 }
        #expect(aliceSecrets.status == 0, "\(aliceSecrets.stderr)")
        let whoami = try await kubectl(alice, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
        #expect(whoami.stdout == "alice", "\(whoami.stdout) \(whoami.stderr)")

        // carol may do nothing but ask who she is.
        let carolPods = try await kubectl(carol, "get", "pods", "-n", "hello")
        #expect(carolPods.status != 0)
        #expect(carolPods.stderr.contains("forbidden"), "\(carolPods.stderr)")

        // A second start: same passwords, same ports, the kubeconfigs still work.
        sandbox.stop(grace: .seconds(10))
        sandbox = try await Self.start(directory)
        let again = try Self.summary(directory)
        #expect(again.users.map(\.password) == summary.users.map(\.password))
        #expect(again.apiProxy == summary.apiProxy)
        let podsAgain = try await Self.kubectlEventually(bob, "get", "pods", "-n", "hello", "-o", "name") { $0.status == 0 }
        #expect(podsAgain.status == 0, "\(podsAgain.stderr)")
    }
}
