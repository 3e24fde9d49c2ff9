public import Foundation
import Synchronization
import FileSupport
import ProcessSupport

/// A bearer token from a kubeconfig's `exec` credential plugin (client.authentication.k8s.io, as EKS, GKE, OKE and
/// `vzauth login` provide): the command is run with its arguments and environment, `status.token` of the
/// `ExecCredential` it prints is used, and the command is run again before `status.expirationTimestamp`.
///
/// ``currentAuthorizationHeaderValue()`` never waits for the plugin: it returns the cached token, and once 80% of
/// the token's lifetime has passed it starts one refresh on a background thread (never on an event loop). While a
/// refresh fails the previous token is kept (until the API server refuses it). A token without an expiry is used
/// for the life of the process.
///
/// - Important: The token is never logged or included in an error.
public final class KubeExecCredential: Sendable {
    /// How to run the plugin.
    public struct Configuration: Sendable {
        /// `client.authentication.k8s.io/v1`.
        public static let v1 = "client.authentication.k8s.io/v1"
        /// The API versions of `ExecCredential` understood.
        public static let supportedVersions: Set<String> = [v1, "client.authentication.k8s.io/v1beta1"]

        /// The program: a path, or a name looked up in `PATH`.
        public var command: String
        public var arguments: [String]
        /// Set in the plugin's environment, over the process's own.
        public var environment: [String: String]
        public var apiVersion: String

        /// Creates a configuration.
        public init(command: String, arguments: [String] = [], environment: [String: String] = [:], apiVersion: String = v1) {
            self.command = command
            self.arguments = arguments
            self.environment = environment
            self.apiVersion = apiVersion
        }
    }

    /// Why the plugin gave no token.
    public struct PluginError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    private struct State {
        var header: String?
        /// When to run the plugin again (`nil`: never).
        var refreshAt: Date?
        var refreshing = false
        /// Why the last run failed, if it did.
        var lastFailure: String?
    }

    /// How the plugin is run.
    public let configuration: Configuration
    private let state: Mutex<State>
    private let now: @Sendable () -> Date

    /// Runs the plugin once (the caller is not an event loop: this is start-up).
    ///
    /// - Throws: ``PluginError`` when it cannot be run, fails, or prints no token.
    public init(configuration: Configuration, now: @escaping @Sendable () -> Date = { Date() }) throws {
        self.configuration = configuration
        self.now = now
        let obtained = now()
        let (token, expiry) = try Self.run(configuration)
        self.state = Mutex(State(header: "Bearer \(token)", refreshAt: Self.refreshTime(obtained: obtained, expiry: expiry)))
    }

    /// `Bearer <token>`; starts a background refresh when the token is due for one.
    public func currentAuthorizationHeaderValue() -> String? {
        let current = self.now()
        let (header, startRefresh) = self.state.withLock { state -> (String?, Bool) in
            guard let refreshAt = state.refreshAt, current >= refreshAt, !state.refreshing else { return (state.header, false) }
            state.refreshing = true
            return (state.header, true)
        }
        if startRefresh {
            let thread = Thread { [self] in self.refresh() }
            thread.name = "vzauth-exec-credential"
            thread.start()
        }
        return header
    }

    /// Why the last run of the plugin failed, if it did (its token is still the previous one).
    public var lastFailure: String? { self.state.withLock { $0.lastFailure } }

    /// Runs the plugin now and keeps its token (the background refresh; blocking).
    public func refresh() {
        let obtained = self.now()
        do {
            let (token, expiry) = try Self.run(self.configuration)
            self.state.withLock { state in
                state = State(header: "Bearer \(token)", refreshAt: Self.refreshTime(obtained: obtained, expiry: expiry))
            }
        } catch {
            let retryAt = self.now().addingTimeInterval(5)
            self.state.withLock { state in
                state.refreshing = false
                state.lastFailure = error.description
                state.refreshAt = retryAt
            }
        }
    }

    /// When 80% of the token's lifetime has passed (at least a second from now); `nil` without an expiry.
    static func refreshTime(obtained: Date, expiry: Date?) -> Date? {
        guard let expiry else { return nil }
        let lifetime = max(0, expiry.timeIntervalSince(obtained))
        return obtained.addingTimeInterval(max(1, lifetime * 0.8))
    }

    /// Runs the plugin and reads `status.token` and `status.expirationTimestamp` from what it prints.
    static func run(_ configuration: Configuration) throws(PluginError) -> (token: String, expiry: Date?) {
        // posix_spawn (ProcessSupport), not Foundation's Process, whose run() can crash the process on Linux.
        let (program, arguments) = configuration.command.contains("/")
            ? (configuration.command, configuration.arguments)
            : ("/usr/bin/env", [configuration.command] + configuration.arguments)
        var environment = ProcessInfo.processInfo.environment.merging(configuration.environment) { _, new in new }
        environment["KUBERNETES_EXEC_INFO"] = #"{"apiVersion":"\#(configuration.apiVersion)","kind":"ExecCredential","spec":{"interactive":false}}"#
        let plugin: ChildProcess
        do {
            plugin = try ChildProcess(program, arguments, environment: environment, separateErrors: true)
        } catch {
            throw PluginError(description: "cannot run the credential plugin \(configuration.command): \(FileErrorReason.of(error))")
        }
        // Both outputs are read beside each other (neither pipe fills up and stalls the plugin); this thread waits.
        let status = plugin.waitUntilExit()
        let data = Data(plugin.text.utf8)
        guard status == 0 else {
            let message = String(plugin.errorText.prefix(500)).trimmingCharacters(in: .whitespacesAndNewlines)
            let reason = status == 127 && configuration.command.contains("/") == false
                ? " (is \(configuration.command) on the PATH?)" : ""
            throw PluginError(description: "the credential plugin \(configuration.command) exited with status "
                + "\(status)" + (message.isEmpty ? "" : ": \(message)") + reason)
        }
        struct Credential: Decodable {
            struct Status: Decodable {
                var token: String?
                var expirationTimestamp: String?
            }
            var apiVersion: String?
            var kind: String?
            var status: Status?
        }
        guard let credential = try? JSONDecoder().decode(Credential.self, from: data), credential.kind == "ExecCredential" else {
            throw PluginError(description: "the credential plugin \(configuration.command) did not print an ExecCredential")
        }
        guard let token = credential.status?.token, !token.isEmpty else {
            throw PluginError(description: "the credential plugin \(configuration.command) printed no status.token "
                + "(client certificates from plugins are not supported)")
        }
        var expiry: Date?
        if let text = credential.status?.expirationTimestamp {
            guard let parsed = Self.parseTimestamp(text) else {
                throw PluginError(description: "the credential plugin \(configuration.command) printed an expirationTimestamp "
                    + "that is not RFC 3339: \(text)")
            }
            expiry = parsed
        }
        return (token, expiry)
    }

    /// An RFC 3339 time, with or without fractional seconds.
    static func parseTimestamp(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}
