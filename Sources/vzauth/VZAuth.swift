import ArgumentParser
import Foundation
import Prometheus

/// The `vzauth` command: Verrazzano-style authentication and authorization for Kubernetes.
@main
struct VZAuth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vzauth",
        abstract: "Keycloak single sign-on and impersonation for the Kubernetes API.",
        discussion: """
            Run one of the subcommands. Each takes --config FILE with the same settings as YAML (keys named like \
            the flags); flags win over the file.
            """,
        version: BuildInfo.version,
        subcommands: [SandboxCommand.self, APIProxyCommand.self, OIDCProxyCommand.self, RBACControllerCommand.self, RBACCommand.self, ClusterCommand.self,
                      LoginCommand.self, KubeconfigCommand.self, VersionCommand.self]
    )

    /// Parses and runs the subcommand as ArgumentParser does, with two additions to its error messages: a mistyped
    /// option gets the nearest known one suggested ("did you mean '--listen'?"), and every error points at the
    /// subcommand's `--help`.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            guard code != .success else { exit(withError: error) }
            let subcommand = Self.subcommand(in: arguments)
            let message = Self.errorMessage(for: error, subcommand: subcommand)
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(code.rawValue)
        }
    }

    /// The subcommand `arguments` name (the first argument naming one), if any.
    static func subcommand(in arguments: [String]) -> (any ParsableCommand.Type)? {
        guard let first = arguments.first(where: { !$0.hasPrefix("-") }) else { return nil }
        return configuration.subcommands.first { $0._commandName == first }
    }

    /// ArgumentParser's message for `error`, with a suggestion for an unknown option and a pointer at `--help`.
    static func errorMessage(for error: any Error, subcommand: (any ParsableCommand.Type)?) -> String {
        var message = fullMessage(for: error)
        let helpCommand = subcommand.map { "vzauth \($0._commandName) --help" } ?? "vzauth --help"
        // ArgumentParser suggests one itself for some typos; the edit distance covers the rest.
        if let subcommand, !message.lowercased().contains("did you mean"), let range = message.range(of: "Unknown option '") {
            let rest = message[range.upperBound...]
            if let end = rest.firstIndex(of: "'") {
                let typed = String(rest[..<end])
                let options = OptionSuggestion.options(inHelp: helpMessage(for: subcommand))
                if let nearest = OptionSuggestion(options: options).nearest(to: typed) {
                    message.insert(contentsOf: "; did you mean '\(nearest)'?", at: rest.index(after: end))
                }
            }
        }
        if let subcommand {
            // An error of the subcommand's settings (thrown from its run) comes with the root's usage: point at the
            // subcommand's help instead.
            message = message.replacingOccurrences(of: "Usage: vzauth <subcommand>\n", with: "")
            message = message.replacingOccurrences(of: "'vzauth --help'", with: "'vzauth \(subcommand._commandName) --help'")
        }
        if !message.contains("--help") {
            message += "\nSee '\(helpCommand)' for more information."
        }
        return message
    }
}

/// `vzauth version`.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")

    func run() {
        print("vzauth \(BuildInfo.version)")
    }
}

/// Facts about this build.
enum BuildInfo {
    /// The release version.
    static let version = "0.1.0"

    /// The version of the Swift compiler that built this binary (major.minor).
    static var swiftVersion: String {
        #if compiler(>=6.4)
        return "6.4+"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #elseif compiler(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }

    /// Adds `vzauth_build_info{version,swift_version} 1` to `registry`.
    static func register(in registry: PrometheusCollectorRegistry) {
        registry.makeGauge(
            descriptor: MetricNameDescriptor(
                metricName: "vzauth_build_info", unitName: "",
                helpText: "Always 1; the labels name the vzauth version and the Swift compiler that built it."),
            labels: [("version", version), ("swift_version", swiftVersion)]).set(to: 1.0)
    }
}
