import Foundation
import VZAuthTestSupport

/// Runs the real `kubectl` against a double, with its own kubeconfig and discovery cache.
struct KubectlRunner {
    static let executable = "/usr/bin/kubectl"
    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: Self.executable) }

    let kubeconfig: URL
    let cacheDirectory: URL

    init(server: KubeAPIEmulator, authority: TestCertificateAuthority, directory: TemporaryDirectory) throws {
        self.kubeconfig = try server.writeKubeconfig(in: directory.url, certificateAuthorityFile: authority.certificateFile)
        self.cacheDirectory = directory.url.appendingPathComponent("cache")
    }

    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    private func arguments(_ arguments: [String]) -> [String] {
        ["--kubeconfig", self.kubeconfig.path, "--cache-dir", self.cacheDirectory.path, "--request-timeout", "10s"] + arguments
    }

    private func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["KUBECONFIG"] = self.kubeconfig.path
        environment["HOME"] = self.cacheDirectory.path
        environment.merge(extra) { $1 }
        return environment
    }

    /// Runs kubectl to completion and returns its exit status and output (a ChildProcess: Foundation's Process can
    /// crash the test process on Linux).
    func run(_ arguments: String..., stdin: String? = nil) async throws -> Result {
        let child = try ChildProcess(Self.executable, self.arguments(arguments), environment: self.environment(),
                                     input: Data((stdin ?? "").utf8), separateErrors: true)
        let status = await child.waitForExit(timeout: .seconds(60))
        return Result(status: status, stdout: child.text, stderr: child.errorText)
    }

    /// Starts a long-running kubectl (such as `get -w`) whose output can be awaited line by line.
    func start(_ arguments: String...) throws -> RunningKubectl {
        try self.start(arguments, environment: [:])
    }

    /// Starts a long-running kubectl with extra environment variables.
    func start(_ arguments: [String], environment: [String: String]) throws -> RunningKubectl {
        RunningKubectl(process: try ChildProcess(Self.executable, self.arguments(arguments),
                                                 environment: self.environment(environment)))
    }
}

/// A kubectl process whose output (standard output and error) is collected as it arrives.
final class RunningKubectl: Sendable {
    private let process: ChildProcess

    init(process: ChildProcess) {
        self.process = process
    }

    var currentOutput: String { self.process.text }

    /// Waits until the output satisfies `condition`; returns the output, or throws after `timeout` seconds.
    func waitForOutput(timeout: Double = 10, _ condition: (String) -> Bool) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let output = self.currentOutput
            if condition(output) { return output }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw KubectlTimeout(output: self.currentOutput)
    }

    func stop() {
        if self.process.isRunning { self.process.terminate() }
        while self.process.isRunning { usleep(1_000) }
    }
}

struct KubectlTimeout: Error, CustomStringConvertible {
    var output: String
    var description: String { "kubectl did not print what was expected; output so far:\n\(self.output)" }
}
