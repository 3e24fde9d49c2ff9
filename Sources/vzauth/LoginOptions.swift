public import ArgumentParser
import Foundation
import KubeLogin
import OIDC

extension LoginGrant: ExpressibleByArgument {}
extension TokenType: ExpressibleByArgument {}

/// The options of `vzauth login`, shared with `vzauth kubeconfig`, which writes them into the kubeconfig's exec
/// arguments.
struct LoginOptions: ParsableArguments {
    @Option(help: "The OpenID issuer URL, e.g. https://keycloak.example.com/auth/realms/verrazzano-system.")
    var issuer: String

    @Option(help: "The OAuth client id.")
    var clientID: String = "verrazzano-pkce"

    @Option(help: "A file holding the client secret, for confidential clients.")
    var clientSecretFile: String?

    @Option(help: "How to log in when the cache cannot help: browser (PKCE, loopback redirect), device (RFC 8628) or password.")
    var grant: LoginGrant = .browser

    @Option(help: "The user name (password grant; also keeps the tokens of several users apart in the cache).")
    var username: String?

    @Option(help: "A file holding the password of the password grant (otherwise it is prompted for).")
    var passwordFile: String?

    @Option(help: "A PEM file of the CA that signed the issuer's certificate; by default the system roots.")
    var caFile: String?

    @Option(name: .customLong("scope"), help: "A scope to request (repeatable). (default: openid)")
    var scopes: [String] = []

    @Option(help: "The token kubectl gets: access (what the API proxy accepts) or id.")
    var tokenType: TokenType = .access

    @Option(help: "The token cache directory. (default: ~/.kube/cache/vzauth)")
    var cacheDir: String?

    @Flag(help: "Do not try to open a browser; only print the login URL.")
    var noBrowser = false

    @Option(help: "The loopback port of the browser login's redirect URI, for providers that need a fixed one; 0: any free port.")
    var listenPort: Int = 0

    @Option(help: "How many seconds a browser or device login may take.")
    var loginTimeout: Int = 300

    var effectiveScopes: [String] {
        self.scopes.isEmpty ? ["openid"] : self.scopes
    }

    func validate() throws {
        guard let url = URL(string: issuer), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
              url.host?.isEmpty == false else {
            throw ValidationError("--issuer must be an http(s) URL of the OpenID issuer, e.g. https://keycloak.example.com/auth/realms/verrazzano-system; got \"\(issuer)\"")
        }
        guard (0...65535).contains(listenPort) else {
            throw ValidationError("--listen-port must be between 0 and 65535")
        }
        guard loginTimeout > 0 else {
            throw ValidationError("--login-timeout must be a positive number of seconds")
        }
    }

    /// The login configuration.
    func configuration() throws -> LoginConfiguration {
        var secret: OIDCClientSecret?
        if let clientSecretFile {
            do {
                secret = try OIDCClientSecretFile(path: clientSecretFile).current()
            } catch {
                throw KubeLoginError("\(error); check --client-secret-file")
            }
        }
        return LoginConfiguration(
            issuer: issuer,
            clientID: clientID,
            clientSecret: secret,
            grant: grant,
            username: username,
            passwordFile: passwordFile,
            caFile: caFile,
            scopes: effectiveScopes,
            tokenType: tokenType,
            cacheDirectory: cacheDir.map { URL(fileURLWithPath: Self.expandingTilde($0), isDirectory: true) }
                ?? TokenCache.defaultDirectory(),
            listenPort: listenPort,
            opensBrowser: !noBrowser,
            loginTimeout: .seconds(loginTimeout)
        )
    }

    /// The options as `vzauth login` arguments, with files as absolute paths (kubectl runs the plugin in its own
    /// working directory). Defaults are left out.
    func arguments(relativeTo directory: String = FileManager.default.currentDirectoryPath) -> [String] {
        func absolute(_ path: String) -> String {
            let expanded = Self.expandingTilde(path)
            return expanded.hasPrefix("/") ? expanded : URL(fileURLWithPath: directory).appendingPathComponent(expanded).standardized.path
        }
        var arguments = ["login", "--issuer", issuer]
        if clientID != "verrazzano-pkce" { arguments += ["--client-id", clientID] }
        if let clientSecretFile { arguments += ["--client-secret-file", absolute(clientSecretFile)] }
        if grant != .browser { arguments += ["--grant", grant.rawValue] }
        if let username { arguments += ["--username", username] }
        if let passwordFile { arguments += ["--password-file", absolute(passwordFile)] }
        if let caFile { arguments += ["--ca-file", absolute(caFile)] }
        for scope in scopes { arguments += ["--scope", scope] }
        if tokenType != .access { arguments += ["--token-type", tokenType.rawValue] }
        if let cacheDir { arguments += ["--cache-dir", absolute(cacheDir)] }
        if noBrowser { arguments.append("--no-browser") }
        if listenPort != 0 { arguments += ["--listen-port", String(listenPort)] }
        if loginTimeout != 300 { arguments += ["--login-timeout", String(loginTimeout)] }
        return arguments
    }

    static func expandingTilde(_ path: String) -> String {
        if path == "~" { return NSHomeDirectory() }
        if path.hasPrefix("~/") { return NSHomeDirectory() + path.dropFirst() }
        return path
    }
}
