import Foundation
import KubeClient
import Testing

/// `exec` credential plugins in kubeconfigs, against a fake plugin script.
@Suite("kubeconfig exec credential plugins", .serialized)
struct ExecCredentialPluginTests {
    /// A folder with a plugin script that prints token `<arg>-<$PLUGIN_VAR>-<run count>` valid for `lifetime`
    /// seconds (none when `lifetime` is nil), and a kubeconfig using it.
    private func fixture(lifetime: Int?, exitStatus: Int = 0) throws -> (directory: URL, kubeconfig: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-exec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let expiry = lifetime.map { #"expiry=",\"expirationTimestamp\":\"$(date -u -d '+\#($0) seconds' +%Y-%m-%dT%H:%M:%SZ)\"""# }
            ?? "expiry="
        let script = """
            #!/bin/sh
            count_file="$(dirname "$0")/count"
            count=$(( $(cat "$count_file" 2>/dev/null || echo 0) + 1 ))
            echo "$count" > "$count_file"
            echo "$KUBERNETES_EXEC_INFO" > "$(dirname "$0")/exec-info"
            if [ \(exitStatus) -ne 0 ]; then echo "plugin says no" >&2; exit \(exitStatus); fi
            \(expiry)
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s-%s-%s"%s}}\\n' "$1" "$PLUGIN_VAR" "$count" "$expiry"
            """
        let plugin = directory.appendingPathComponent("plugin.sh")
        try script.write(to: plugin, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: plugin.path)
        let kubeconfig = directory.appendingPathComponent("config").path
        try """
            apiVersion: v1
            kind: Config
            clusters: [{name: c, cluster: {server: "http://127.0.0.1:6443"}}]
            users:
            - name: u
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: ./plugin.sh
                  args: [tok]
                  env: [{name: PLUGIN_VAR, value: seven}]
                  installHint: install the plugin first
                  interactiveMode: Never
            contexts: [{name: c, context: {cluster: c, user: u}}]
            current-context: c
            """.write(toFile: kubeconfig, atomically: true, encoding: .utf8)
        return (directory, kubeconfig)
    }

    @Test("the plugin's token is used, with its args and env; it runs again before the token expires")
    func refreshesBeforeExpiry() async throws {
        let (directory, kubeconfig) = try fixture(lifetime: 3)
        defer { try? FileManager.default.removeItem(at: directory) }
        let connection = try KubeConnection.fromKubeconfig(path: kubeconfig)
        #expect(connection.authorizationHeaderValue() == "Bearer tok-seven-1")
        let info = try String(contentsOf: directory.appendingPathComponent("exec-info"), encoding: .utf8)
        #expect(info.contains(#""kind":"ExecCredential""#) && info.contains("client.authentication.k8s.io/v1"))
        // 80% of 3 s: by then a refresh starts in the background; the old token is served meanwhile.
        // Generous: under a full parallel test run a process start can take seconds.
        let deadline = ContinuousClock.now + .seconds(30)
        while connection.authorizationHeaderValue() == "Bearer tok-seven-1", ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        let runs = (try? String(contentsOf: directory.appendingPathComponent("count"), encoding: .utf8)) ?? "none"
        #expect(connection.authorizationHeaderValue() == "Bearer tok-seven-2", "plugin runs: \(runs)")
    }

    @Test("a token without an expiry is kept; the plugin runs once")
    func noExpiry() async throws {
        let (directory, kubeconfig) = try fixture(lifetime: nil)
        defer { try? FileManager.default.removeItem(at: directory) }
        let connection = try KubeConnection.fromKubeconfig(path: kubeconfig)
        try await Task.sleep(for: .milliseconds(300))
        #expect(connection.authorizationHeaderValue() == "Bearer tok-seven-1")
        #expect(connection.authorizationHeaderValue() == "Bearer tok-seven-1")
    }

    @Test("a failing plugin is reported at start-up with its message and the install hint")
    func failing() throws {
        let (directory, kubeconfig) = try fixture(lifetime: 60, exitStatus: 3)
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            _ = try KubeConnection.fromKubeconfig(path: kubeconfig)
            Issue.record("a failing plugin was accepted")
        } catch let error as KubeConfigError {
            #expect(error.description.contains("exited with status 3: plugin says no"), "\(error)")
            #expect(error.description.contains("install the plugin first"), "\(error)")
            #expect(error.description.contains("users[u].user.exec"), "\(error)")
        }
    }
}
