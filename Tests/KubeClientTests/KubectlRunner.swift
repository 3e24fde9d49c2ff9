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

    private func process(_ arguments: [String], environment extra: [String: String] = [:]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["--kubeconfig", self.kubeconfig.path, "--cache-dir", self.cacheDirectory.path,
                             "--request-timeout", "10s"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["KUBECONFIG"] = self.kubeconfig.path
        environment["HOME"] = self.cacheDirectory.path
        environment.merge(extra) { $1 }
        process.environment = environment
        return process
    }

    /// Runs kubectl to completion and returns its exit status and output.
    func run(_ arguments: String..., stdin: String? = nil) async throws -> Result {
        let process = self.process(arguments)
        let output = Pipe()
        let errors = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let group = DispatchGroup()
                nonisolated(unsafe) var errorData = Data()
                group.enter()
                DispatchQueue.global().async {
                    errorData = errors.fileHandleForReading.readDataToEndOfFile()
                    group.leave()
                }
                let outputData = output.fileHandleForReading.readDataToEndOfFile()
                group.wait()
                process.waitUntilExit()
                continuation.resume(returning: Result(
                    status: process.terminationStatus,
                    stdout: String(decoding: outputData, as: UTF8.self),
                    stderr: String(decoding: errorData, as: UTF8.self)
                ))
            }
        }
    }

    /// Starts a long-running kubectl (such as `get -w`) whose output can be awaited line by line.
    func start(_ arguments: String...) throws -> RunningKubectl {
        try self.start(arguments, environment: [:])
    }

    /// Starts a long-running kubectl with extra environment variables.
    func start(_ arguments: [String], environment: [String: String]) throws -> RunningKubectl {
        let process = self.process(arguments, environment: environment)
        let running = RunningKubectl(process: process)
        try running.start()
        return running
    }
}

/// A kubectl process whose output is collected as it arrives.
final class RunningKubectl: @unchecked Sendable {
    private let process: Process
    private let lock = NSLock()
    private var output = ""

    init(process: Process) {
        self.process = process
    }

    func start() throws {
        let pipe = Pipe()
        self.process.standardOutput = pipe
        self.process.standardError = pipe
        pipe.fileHandleForReading.readChunks { [weak self] data in
            guard let self else { return }
            self.lock.withLock { self.output += String(decoding: data, as: UTF8.self) }
        }
        try self.process.run()
    }

    var currentOutput: String { self.lock.withLock { self.output } }

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
        self.process.waitUntilExit()
    }
}

struct KubectlTimeout: Error, CustomStringConvertible {
    var output: String
    var description: String { "kubectl did not print what was expected; output so far:\n\(self.output)" }
}
