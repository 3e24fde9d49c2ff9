import Foundation
import KubeClient
import Testing
@testable import vzauth

/// Where the connection comes from without --kubeconfig, and errors that name that place and the fix.
@Suite("KubeConnectionLookup: the kubeconfig as kubectl finds it, and errors naming where it came from")
struct KubeConnectionLookupTests {
    private static let kubeconfig = """
        apiVersion: v1
        kind: Config
        clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]
        users: [{name: u, user: {token: t}}]
        contexts: [{name: first, context: {cluster: c, user: u}}]
        current-context: first
        """

    private func folder() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-lookup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent(".kube"), withIntermediateDirectories: true)
        return directory
    }

    private func problem(_ lookup: KubeConnectionLookup, kubeconfig: String? = nil, context: String? = nil) -> String? {
        do {
            _ = try lookup.connect(kubeconfig: kubeconfig, context: context)
            return nil
        } catch {
            return error.description
        }
    }

    @Test("$KUBECONFIG's first file, then ~/.kube/config; the flag wins over both")
    func order() throws {
        let home = try folder()
        defer { try? FileManager.default.removeItem(at: home) }
        let homeConfig = home.appendingPathComponent(".kube/config").path
        let other = home.appendingPathComponent("other").path
        try Self.kubeconfig.write(toFile: homeConfig, atomically: true, encoding: .utf8)
        try Self.kubeconfig.write(toFile: other, atomically: true, encoding: .utf8)

        let fromHome = try KubeConnectionLookup(environment: ["HOME": home.path]).connect(kubeconfig: nil, context: nil)
        #expect(fromHome.kubeconfig == homeConfig)
        let fromVariable = try KubeConnectionLookup(environment: ["HOME": home.path, "KUBECONFIG": "\(other):\(homeConfig)"])
            .connect(kubeconfig: nil, context: nil)
        #expect(fromVariable.kubeconfig == other)
        let fromFlag = try KubeConnectionLookup(environment: ["KUBECONFIG": "/nonexistent"]).connect(kubeconfig: homeConfig, context: nil)
        #expect(fromFlag.kubeconfig == homeConfig)
        #expect(fromFlag.connection.baseURL.hasPrefix("https://127.0.0.1:6443"))
    }

    @Test("each source's problem names the source and the fix")
    func problems() throws {
        let home = try folder()
        defer { try? FileManager.default.removeItem(at: home) }
        let homeConfig = home.appendingPathComponent(".kube/config").path
        try "clusters: [[[".write(toFile: homeConfig, atomically: true, encoding: .utf8)

        #expect(problem(KubeConnectionLookup(environment: ["KUBECONFIG": "/nonexistent/a:/b"]))
            == "$KUBECONFIG: cannot read /nonexistent/a: no such file; fix $KUBECONFIG, or pass --kubeconfig PATH")
        #expect(problem(KubeConnectionLookup(environment: ["KUBECONFIG": home.path]))
            == "$KUBECONFIG: cannot read \(home.path): is a directory, not a file; fix $KUBECONFIG, or pass --kubeconfig PATH")
        let broken = try #require(problem(KubeConnectionLookup(environment: ["HOME": home.path])))
        #expect(broken.hasPrefix("~/.kube/config: \(homeConfig) is not a valid kubeconfig: "), "\(broken)")
        #expect(broken.hasSuffix("; fix it, or pass --kubeconfig PATH"), "\(broken)")
        #expect(problem(KubeConnectionLookup(environment: [:]), kubeconfig: "/nonexistent/k")
            == "--kubeconfig: cannot read /nonexistent/k: no such file; fix the file or pass another --kubeconfig")
        #expect(problem(KubeConnectionLookup(environment: ["HOME": "/nonexistent"]))
            == "no kubeconfig: not in a pod (KUBERNETES_SERVICE_HOST is not set), $KUBECONFIG is not set and ~/.kube/config does not exist; pass --kubeconfig PATH")
    }

    @Test("a context that is not in the file points at --kube-context")
    func unknownContext() throws {
        let home = try folder()
        defer { try? FileManager.default.removeItem(at: home) }
        let path = home.appendingPathComponent("config").path
        try Self.kubeconfig.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(problem(KubeConnectionLookup(environment: ["KUBECONFIG": path]), context: "second")
            == "$KUBECONFIG: \(path): context \"second\" not found; pass --kube-context with one of its contexts")
    }

    @Test("in a pod without the service account's files: the in-cluster configuration and how to mount them")
    func inCluster() throws {
        let empty = try folder()
        defer { try? FileManager.default.removeItem(at: empty) }
        var lookup = KubeConnectionLookup(environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443",
                                                        "KUBECONFIG": "/ignored/in/a/pod"])
        lookup.serviceAccountDirectory = empty.path
        #expect(problem(lookup) == """
            in-cluster configuration: cannot read \(empty.path)/ca.crt: no such file; give the pod its service account \
            token (automountServiceAccountToken: true), or pass --kubeconfig PATH
            """)
    }
}
