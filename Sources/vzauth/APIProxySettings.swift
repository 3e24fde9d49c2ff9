import APIProxy
import Foundation
import Logging
import ProxyCore

/// The API proxy's settings after merging flags, the config file and defaults, and checking them.
struct APIProxySettings: Sendable {
    var listen: ListenerConfiguration
    var management: ListenerConfiguration
    var issuer: String
    var discoveryURL: String?
    var clientIDs: [String]
    var oidcCAFile: String?
    var clockSkew: Double
    var usernameClaim: String
    var groupsClaim: String
    var rolesClaim: String
    var requiredRole: String?
    var allowSystemIdentities: Bool
    var kubeconfig: String?
    var kubeContext: String?
    var proxy: APIProxyConfiguration
    var shutdownGracePeriod: Duration
    var logLevel: Logger.Level
    var eventLoopThreads: Int?

    /// Every problem found, reported at once.
    struct Problems: Error, CustomStringConvertible {
        var messages: [String]
        var description: String {
            "invalid configuration:\n" + messages.map { "  - \($0)" }.joined(separator: "\n")
        }
    }

    /// The keys a `--config` file may use: the long flag names.
    static let settingNames: Set<String> = [
        "listen", "management-listen", "tls-cert-file", "tls-private-key-file", "oidc-issuer", "oidc-discovery-url",
        "oidc-client-id", "oidc-ca-file", "clock-skew", "username-claim", "groups-claim", "roles-claim", "required-role",
        "insecure-allow-system-identities", "kubeconfig", "kube-context", "api-path-prefix", "cors-allowed-origin",
        "public-origin", "shutdown-grace-period", "log-level", "event-loop-threads",
    ]

    /// Resolves `options` over the `--config` file and the defaults.
    static func resolve(_ options: APIProxyOptions) throws(Problems) -> APIProxySettings {
        var file = options.config.map { ConfigFile(path: $0) } ?? ConfigFile()
        var problems: [String] = []

        func listener(_ flag: String?, key: String, default fallback: String) -> (String, Int) {
            let text = flag ?? file.string(key) ?? fallback
            guard let address = ListenerConfiguration.parseAddress(text) else {
                problems.append("--\(key) must be HOST:PORT, got \"\(text)\"")
                return ("0.0.0.0", 0)
            }
            return address
        }
        let (listenHost, listenPort) = listener(options.listen, key: "listen", default: "0.0.0.0:8775")
        let (managementHost, managementPort) = listener(options.managementListen, key: "management-listen", default: "0.0.0.0:8776")

        let certFile = options.tlsCertFile ?? file.string("tls-cert-file")
        let keyFile = options.tlsPrivateKeyFile ?? file.string("tls-private-key-file")
        var tls: TLSFiles?
        switch (certFile, keyFile) {
        case (let cert?, let key?):
            for path in [cert, key] where !FileManager.default.isReadableFile(atPath: path) {
                problems.append("cannot read \(path)")
            }
            tls = TLSFiles(certificateChainPath: cert, privateKeyPath: key)
        case (nil, nil):
            tls = nil
        default:
            problems.append("--tls-cert-file and --tls-private-key-file go together")
        }

        let issuer = options.oidcIssuer ?? file.string("oidc-issuer")
        if let issuer { checkURL(issuer, flag: "--oidc-issuer", into: &problems) } else { problems.append("--oidc-issuer is required") }
        let discoveryURL = options.oidcDiscoveryUrl ?? file.string("oidc-discovery-url")
        if let discoveryURL { checkURL(discoveryURL, flag: "--oidc-discovery-url", into: &problems) }
        let clientIDs = options.oidcClientId.isEmpty ? (file.strings("oidc-client-id") ?? []) : options.oidcClientId
        if clientIDs.isEmpty { problems.append("at least one --oidc-client-id is required (Verrazzano: verrazzano-pkce, verrazzano-pg)") }
        if clientIDs.contains(where: \.isEmpty) { problems.append("--oidc-client-id must not be empty") }
        let caFile = options.oidcCaFile ?? file.string("oidc-ca-file")
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) { problems.append("cannot read --oidc-ca-file \(caFile)") }
        let skew = options.clockSkew ?? file.double("clock-skew") ?? 30
        if !(0...600).contains(skew) { problems.append("--clock-skew must be between 0 and 600 seconds") }

        let usernameClaim = options.usernameClaim ?? file.string("username-claim") ?? "sub"
        let groupsClaim = options.groupsClaim ?? file.string("groups-claim") ?? "groups"
        let rolesClaim = options.rolesClaim ?? file.string("roles-claim") ?? "realm_access.roles"
        for (flag, value) in [("--username-claim", usernameClaim), ("--groups-claim", groupsClaim), ("--roles-claim", rolesClaim)]
        where value.isEmpty || value.hasPrefix(".") || value.hasSuffix(".") || value.contains("..") {
            problems.append("\(flag) must name a claim, got \"\(value)\"")
        }
        let requiredRole = options.requiredRole ?? file.string("required-role")
        if requiredRole == "" { problems.append("--required-role must not be empty") }
        let allowSystem = options.insecureAllowSystemIdentities || (file.bool("insecure-allow-system-identities") ?? false)

        let kubeconfig = options.kubeconfig ?? file.string("kubeconfig")
        let kubeContext = options.kubeContext ?? file.string("kube-context")
        if kubeContext != nil && kubeconfig == nil { problems.append("--kube-context needs --kubeconfig") }

        let prefix = options.apiPathPrefix ?? file.string("api-path-prefix") ?? "/20210501"
        if !prefix.isEmpty && (!prefix.hasPrefix("/") || prefix.hasSuffix("/") || prefix.contains("?")) {
            problems.append("--api-path-prefix must start with / and not end with one, got \"\(prefix)\"")
        }
        let origins = options.corsAllowedOrigin.isEmpty ? (file.strings("cors-allowed-origin") ?? []) : options.corsAllowedOrigin
        for origin in origins { checkOrigin(origin, flag: "--cors-allowed-origin", into: &problems) }
        let publicOrigin = options.publicOrigin ?? file.string("public-origin")
        if let publicOrigin { checkOrigin(publicOrigin, flag: "--public-origin", into: &problems) }

        let grace = options.shutdownGracePeriod ?? file.double("shutdown-grace-period") ?? 20
        if !(0...3600).contains(grace) { problems.append("--shutdown-grace-period must be between 0 and 3600 seconds") }
        let levelText = options.logLevel ?? file.string("log-level") ?? "info"
        let level = Logger.Level(rawValue: levelText.lowercased())
        if level == nil { problems.append("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))") }

        let threads = options.eventLoopThreads ?? file.double("event-loop-threads").map { Int($0) }
        if let threads, !(1...256).contains(threads) { problems.append("--event-loop-threads must be between 1 and 256") }

        file.reportUnknownKeys(known: Self.settingNames)
        problems.insert(contentsOf: file.problems, at: 0)
        guard problems.isEmpty, let issuer, let level else { throw Problems(messages: problems) }

        return APIProxySettings(
            listen: ListenerConfiguration(host: listenHost, port: listenPort, tls: tls),
            management: ListenerConfiguration(host: managementHost, port: managementPort),
            issuer: issuer, discoveryURL: discoveryURL, clientIDs: clientIDs, oidcCAFile: caFile, clockSkew: skew,
            usernameClaim: usernameClaim, groupsClaim: groupsClaim, rolesClaim: rolesClaim, requiredRole: requiredRole,
            allowSystemIdentities: allowSystem, kubeconfig: kubeconfig, kubeContext: kubeContext,
            proxy: APIProxyConfiguration(apiPathPrefix: prefix,
                                         cors: CORSPolicy(allowedOrigins: Set(origins), publicOrigin: publicOrigin)),
            shutdownGracePeriod: .milliseconds(Int(grace * 1000)), logLevel: level, eventLoopThreads: threads)
    }

    private static func checkURL(_ text: String, flag: String, into problems: inout [String]) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
              let host = url.host, !host.isEmpty, url.query == nil, url.fragment == nil else {
            problems.append("\(flag) must be an http(s) URL without query, got \"\(text)\"")
            return
        }
    }

    private static func checkOrigin(_ text: String, flag: String, into problems: inout [String]) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
              url.host != nil, url.path.isEmpty || url.path == "/", url.query == nil else {
            problems.append("\(flag) must be an origin like https://console.example.com, got \"\(text)\"")
            return
        }
    }
}
