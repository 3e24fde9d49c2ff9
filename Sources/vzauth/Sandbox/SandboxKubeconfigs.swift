import ArgumentParser
import Foundation

/// The sandbox's kubeconfigs for its users: `NAME.kubeconfig` runs `vzauth login --grant password` with the user's
/// password file (kubectl works at once, no browser: development only), `NAME-browser.kubeconfig` the browser login.
/// Both talk to the API proxy over TLS with the sandbox's CA, and cache tokens in the folder.
struct SandboxKubeconfigs {
    let folder: SandboxFolder
    /// The vzauth binary kubectl runs.
    let executable: String
    let issuer: String
    let apiProxy: String
    let caFile: String

    /// Writes both kubeconfigs and the password file of each user; returns the users as `sandbox.json` lists them.
    func write(for users: [SandboxIdentityProvider.User]) throws -> [SandboxSummary.User] {
        let caData = try Data(contentsOf: URL(fileURLWithPath: caFile)).base64EncodedString()
        return try users.map { user in
            let passwordFile = try folder.write(user.password + "\n", to: "passwords/\(user.name)")
            let password = try LoginOptions.parse([
                "--issuer", issuer, "--client-id", "verrazzano-pg", "--grant", "password", "--username", user.name,
                "--password-file", passwordFile, "--cache-dir", folder.path("token-cache"),
            ])
            let browser = try LoginOptions.parse([
                "--issuer", issuer, "--username", user.name, "--cache-dir", folder.path("token-cache"),
            ])
            let kubeconfig = try folder.write(try makeKubeconfig(for: user.name, login: password, note: """
                # \(user.name) through vzauth's API proxy, logging in with the password grant and the password in
                # \(passwordFile) (development only: never keep passwords in files for real clusters).

                """), to: "\(user.name).kubeconfig")
            let browserKubeconfig = try folder.write(try makeKubeconfig(for: user.name, login: browser, note: """
                # \(user.name) through vzauth's API proxy, logging in in a browser (vzauth login opens it, or prints the URL).

                """), to: "\(user.name)-browser.kubeconfig")
            return SandboxSummary.User(name: user.name, password: user.password, groups: user.groups,
                                       kubeconfig: kubeconfig, browserKubeconfig: browserKubeconfig)
        }

        func makeKubeconfig(for name: String, login: LoginOptions, note: String) throws -> String {
            let file = LoginKubeconfig(
                clusters: [.init(name: "vzauth-sandbox", cluster: .init(server: apiProxy, certificateAuthorityData: caData))],
                users: [.init(name: name, user: .init(exec: .init(command: executable, args: login.arguments())))],
                contexts: [.init(name: "vzauth-sandbox", context: .init(cluster: "vzauth-sandbox", user: name, namespace: nil))],
                currentContext: "vzauth-sandbox")
            return note + (try file.yaml())
        }
    }
}
