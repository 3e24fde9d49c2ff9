import Foundation
import Logging
import OIDCProxy
import ProxyCore

/// The OIDC proxy's settings after merging flags, the config file and defaults, and checking them.
struct OIDCProxySettings: Sendable {
    /// One console to route to, before its connection settings are built.
    struct RouteSpec: Sendable, Equatable {
        /// The host name browsers use (lower case); `nil` for sidecar mode's one upstream.
        var host: String?
        /// Where to forward.
        var upstream: URL
        /// Paths that may start a login; empty: every path.
        var loginPaths: [LoginPathPattern]
    }

    var server: ServerSettings
    var oidc: IssuerSettings
    var loginClientID: String
    var passwordClientID: String
    /// Files holding the clients' secrets (confidential clients); `nil`: a public client.
    var loginClientSecretFile: String?
    var passwordClientSecretFile: String?
    /// The scopes to ask for; `nil`: the default (``OIDCProxyConfiguration/requestedScope(discovery:)``).
    var scopes: [String]?
    var routes: [RouteSpec]
    var publicURL: URL?
    /// `--post-logout-redirect-url`; `nil`: each console's `<public URL>/`.
    var postLogoutRedirectURL: String?
    var cookieSecretFiles: [String]
    var sessionMaxLifetime: TimeInterval

    /// The keys a `--config` file may use: the long flag names.
    static let settingNames: Set<String> = ServerSettings.settingNames.union(IssuerSettings.settingNames).union([
        "oidc-client-id", "oidc-password-client-id", "oidc-client-secret-file", "oidc-password-client-secret-file",
        "oidc-scope", "upstream", "route", "login-path", "public-url",
        "cookie-secret-file", "session-max-lifetime", "post-logout-redirect-url",
    ])

    /// Resolves `options` over the `--config` file and the defaults.
    static func resolve(_ options: OIDCProxyOptions) throws(SettingsProblems) -> OIDCProxySettings {
        var file = options.configFile.load()
        var problems: [String] = []

        let server = ServerSettings.resolve(options.server, file: &file, problems: &problems)
        let oidc = IssuerSettings.resolve(options.issuer, defaultUsernameClaim: "preferred_username", file: &file,
                                          problems: &problems)

        let loginClientID = options.oidcClientId ?? file.string("oidc-client-id") ?? "verrazzano-pkce"
        let passwordClientID = options.oidcPasswordClientId ?? file.string("oidc-password-client-id") ?? "verrazzano-pg"
        if loginClientID.isEmpty || passwordClientID.isEmpty { problems.append("client ids must not be empty") }
        let loginSecretFile = options.oidcClientSecretFile ?? file.string("oidc-client-secret-file")
        let passwordSecretFile = options.oidcPasswordClientSecretFile ?? file.string("oidc-password-client-secret-file")
        for (flag, path) in [("--oidc-client-secret-file", loginSecretFile), ("--oidc-password-client-secret-file", passwordSecretFile)] {
            if let path { SettingChecks.checkReadable(path, flag: flag, into: &problems) }
        }
        let scopeTexts = options.oidcScope.isEmpty ? (file.strings("oidc-scope") ?? []) : options.oidcScope
        let scopes = scopeTexts.flatMap { $0.split(separator: " ").map(String.init) }
        if !scopeTexts.isEmpty && !scopes.contains("openid") {
            problems.append("--oidc-scope must include openid (the login needs an ID token)")
        }
        if scopes.contains(where: { !$0.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") } }) {
            problems.append("--oidc-scope values are scope tokens (RFC 6749 §3.3): printable ASCII without spaces, quotes or backslashes")
        }

        // Consoles: --upstream (sidecar) and/or --route HOST=URL (shared).
        var routes: [RouteSpec] = []
        let upstream = options.upstream ?? file.string("upstream")
        if let upstream {
            if let url = upstreamURL(upstream, flag: "--upstream", into: &problems) {
                routes.append(RouteSpec(host: nil, upstream: url, loginPaths: []))
            }
        }
        let routeTexts = options.route.isEmpty ? (file.strings("route") ?? []) : options.route
        for text in routeTexts {
            guard let equals = text.firstIndex(of: "="), !text[..<equals].isEmpty else {
                problems.append("--route must be HOST=URL, got \"\(text)\"")
                continue
            }
            let host = text[..<equals].lowercased()
            guard RouteTable.isValidHostName(host) else {
                problems.append("--route host \"\(host)\" is not a host name")
                continue
            }
            if routes.contains(where: { $0.host == host }) { problems.append("--route \(host) is given twice") }
            if let url = upstreamURL(String(text[text.index(after: equals)...]), flag: "--route \(host)", into: &problems) {
                routes.append(RouteSpec(host: host, upstream: url, loginPaths: []))
            }
        }
        if routes.isEmpty { problems.append("give the console with --upstream URL (sidecar) or --route HOST=URL (shared)") }

        let loginPathTexts = options.loginPath.isEmpty ? (file.strings("login-path") ?? []) : options.loginPath
        for text in loginPathTexts {
            // [HOST=]PATTERN: a pattern starts with '/', so an '=' before the first '/' separates a host.
            var host: String?
            var patternText = Substring(text)
            if let equals = text.firstIndex(of: "="), text.firstIndex(of: "/").map({ equals < $0 }) ?? true {
                host = text[..<equals].lowercased()
                patternText = text[text.index(after: equals)...]
            }
            let pattern: LoginPathPattern
            do {
                pattern = try LoginPathPattern(String(patternText))
            } catch {
                problems.append("--login-path: \(error.message)")
                continue
            }
            guard let index = routes.firstIndex(where: { $0.host == host }) else {
                problems.append("--login-path \(text): no " + (host.map { "--route for \($0)" } ?? "--upstream"))
                continue
            }
            routes[index].loginPaths.append(pattern)
        }

        let publicURLText = options.publicUrl ?? file.string("public-url")
        var publicURL: URL?
        if let publicURLText {
            SettingChecks.checkURL(publicURLText, flag: "--public-url", into: &problems)
            publicURL = URL(string: publicURLText)
        } else if routes.contains(where: { $0.host == nil }) {
            problems.append("--public-url is required with --upstream (the redirect URI is <public-url>/_authentication_callback)")
        }

        let postLogout = options.postLogoutRedirectUrl ?? file.string("post-logout-redirect-url")
        if let postLogout {
            let url = URL(string: postLogout)
            let scheme = url?.scheme?.lowercased()
            if !(scheme == "https" || scheme == "http") || url?.host?.isEmpty != false || url?.fragment != nil {
                problems.append("--post-logout-redirect-url must be an absolute http(s) URL without a fragment, got \"\(postLogout)\"")
            }
        }
        let secretFiles = options.cookieSecretFile.isEmpty ? (file.strings("cookie-secret-file") ?? []) : options.cookieSecretFile
        if secretFiles.isEmpty { problems.append("at least one --cookie-secret-file is required (32 bytes or more, e.g. from openssl rand -base64 48)") }
        for path in secretFiles {
            let before = problems.count
            SettingChecks.checkReadable(path, flag: "--cookie-secret-file", into: &problems)
            if problems.count == before { checkCookieSecret(path, into: &problems) }
        }
        let maxLifetime = options.sessionMaxLifetime ?? file.double("session-max-lifetime") ?? 36_000
        if !(60...(30 * 86_400)).contains(maxLifetime) { problems.append("--session-max-lifetime must be between 60 seconds and 30 days") }

        file.reportUnknownKeys(known: Self.settingNames)
        problems.insert(contentsOf: file.problems, at: 0)
        guard problems.isEmpty, let server, let oidc else { throw SettingsProblems(messages: problems) }
        return OIDCProxySettings(
            server: server, oidc: oidc, loginClientID: loginClientID, passwordClientID: passwordClientID,
            loginClientSecretFile: loginSecretFile, passwordClientSecretFile: passwordSecretFile,
            scopes: scopes.isEmpty ? nil : scopes, routes: routes, publicURL: publicURL, postLogoutRedirectURL: postLogout,
            cookieSecretFiles: secretFiles, sessionMaxLifetime: maxLifetime)
    }

    /// The external base URL of a route: `--public-url` for the sidecar upstream; for a host route, the public URL's
    /// scheme (default https) with the route's host.
    func publicBaseURL(for route: RouteSpec) -> String {
        if route.host == nil, let publicURL { return publicURL.absoluteString }
        let scheme = publicURL?.scheme?.lowercased() ?? "https"
        return "\(scheme)://\(route.host ?? "localhost")"
    }

    private static func upstreamURL(_ text: String, flag: String, into problems: inout [String]) -> URL? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty, url.query == nil, url.fragment == nil else {
            problems.append("\(flag) must be an http(s) URL, got \"\(text)\"")
            return nil
        }
        return url
    }

    /// Adds a problem naming `path` when the cookie secret it holds is shorter than
    /// ``OIDCProxy/CookieSealer/minimumSecretLength`` bytes (a trailing newline is not counted, as the sealer
    /// does not count it).
    static func checkCookieSecret(_ path: String, into problems: inout [String]) {
        guard var bytes = FileManager.default.contents(atPath: path).map({ [UInt8]($0) }) else {
            problems.append("--cookie-secret-file \(path): cannot read it")
            return
        }
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast(); if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() } }
        if bytes.count < CookieSealer.minimumSecretLength {
            problems.append("--cookie-secret-file \(path) holds \(bytes.count) bytes; a cookie secret needs "
                + "\(CookieSealer.minimumSecretLength) or more (make one with: openssl rand -base64 48 > \(path))")
        }
    }
}
