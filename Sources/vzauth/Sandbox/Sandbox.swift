import Foundation
import KubeLogin
import Logging
import ServiceLifecycle

/// The running sandbox: its services (run by the command's service group), what it wrote, and how to stop the
/// parts that are not services.
struct Sandbox: Sendable {
    /// How to start it.
    struct Options: Sendable {
        var directory: String
        var kubeconfig: String?
        var usersFile: String?
        var ports: SandboxPorts.Requested
        /// The vzauth binary the kubeconfigs run for `vzauth login`.
        var executable: String
        /// The components' log level.
        var logLevel: String
        /// The components' log format (`text` or `json`).
        var logFormat: String
    }

    /// The long-lived services: the proxies, the RBAC controller and their management listeners.
    var services: [any Service]
    /// What `sandbox.json` says.
    var summary: SandboxSummary
    /// The file the users' passwords are in (`--users`, or the folder's `users.yaml`).
    var usersFile: String
    /// `sandbox.json`.
    var summaryFile: String
    /// Stops what is not a service (the issuer, the emulator, the console) and releases clients.
    var stop: @Sendable () async -> Void
    /// Returns once every listener is bound and the proxies have the issuer's keys (the services run meanwhile).
    var ready: @Sendable () async throws -> Void

    /// The text printed after the start: where things are and what to try.
    func instructions() -> String {
        let bob = summary.users.first { $0.name == "bob" } ?? summary.users.first
        let kubeconfig = bob.map { relative($0.kubeconfig) } ?? "vzauth-sandbox/bob.kubeconfig"
        var lines = [
            "",
            "vzauth sandbox is running (development only; Ctrl-C stops it).",
            "",
            "  OpenID provider   \(summary.issuer)",
            "  API proxy         \(summary.apiProxy)   (CA: \(relative(summary.certificateAuthority)))",
            "  console           \(summary.console)",
            "  Kubernetes        \(summary.kubernetes)",
            "",
            "Users (passwords also in \(relative(usersFile))):",
        ]
        for user in summary.users {
            let groups = user.groups.isEmpty ? "no group" : user.groups.joined(separator: ", ")
            lines.append("  \(user.name.padding(toLength: 8, withPad: " ", startingAt: 0)) \(user.password)   (\(groups))")
        }
        lines += [
            "",
            "Try:",
            "  kubectl --kubeconfig \(kubeconfig) get pods -n hello        # allowed",
            "  kubectl --kubeconfig \(kubeconfig) get secrets -A           # forbidden, by RBAC",
            "  kubectl --kubeconfig \(kubeconfig) auth whoami",
            "  open \(summary.console)                                      # console, single sign-on",
            "",
            "Each user has NAME.kubeconfig (password login, no browser) and NAME-browser.kubeconfig (browser login).",
            "Everything a script needs is in \(relative(summaryFile)).",
            "",
        ]
        return lines.joined(separator: "\n")
    }

    /// `path` relative to the current directory when it is below it.
    private func relative(_ path: String) -> String {
        let current = FileManager.default.currentDirectoryPath + "/"
        return path.hasPrefix(current) ? String(path.dropFirst(current.count)) : path
    }
}
