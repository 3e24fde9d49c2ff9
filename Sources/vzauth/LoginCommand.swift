import ArgumentParser
import Foundation
import KubeLogin
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `vzauth login`: a kubectl exec credential plugin (`client.authentication.k8s.io/v1`).
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Print a kubectl ExecCredential with a fresh token: cached, refreshed, or from a new login.",
        discussion: """
            Run by kubectl from a kubeconfig's exec section (see vzauth kubeconfig). Only the ExecCredential goes \
            to stdout; messages and prompts go to stderr. Tokens are cached per issuer, client and user in \
            ~/.kube/cache/vzauth (mode 0600) and refreshed before they expire.

            Examples:
              vzauth login --issuer https://keycloak.example.com/auth/realms/verrazzano-system
              vzauth login --issuer URL --grant device
              vzauth login --issuer URL --client-id verrazzano-pg --grant password --username alice --password-file pw
              vzauth login --issuer URL --logout
            """
    )

    @OptionGroup var options: LoginOptions

    @Flag(help: "Remove the cached tokens of this issuer, client and user, and exit.")
    var logout = false

    func run() async throws {
        do {
            try await self.perform()
        } catch let error as KubeLoginError {
            Self.standardError("vzauth login: \(error.message)")
            throw ExitCode(1)
        }
    }

    private func perform() async throws {
        let configuration = try options.configuration()
        let environment = ProcessInfo.processInfo.environment
        let interactive = KubernetesExecInfo.allowsPrompting(environment: environment, stdinIsTerminal: isatty(0) == 1)
        let interaction = LoginInteraction(
            message: { Self.standardError($0) },
            mayPrompt: interactive,
            readLine: { prompt in
                Self.standardError(prompt, terminator: "")
                return Swift.readLine(strippingNewline: true)
            },
            readSecret: { prompt in
                guard let typed = getpass(prompt) else { return nil }
                return String(cString: typed)
            },
            openBrowser: { BrowserLauncher.open($0) }
        )
        let flow = KubeLoginFlow(configuration: configuration, interaction: interaction)
        if logout {
            let removed = try flow.logout()
            Self.standardError(removed
                ? "vzauth login: removed the cached tokens of \(configuration.issuer) (client \(configuration.clientID))"
                : "vzauth login: no cached tokens of \(configuration.issuer) (client \(configuration.clientID))")
            return
        }
        let credential = try await flow.credential(interactive: interactive)
        FileHandle.standardOutput.write(Data((credential.jsonText() + "\n").utf8))
    }

    static func standardError(_ line: String, terminator: String = "\n") {
        FileHandle.standardError.write(Data((line + terminator).utf8))
    }
}
