import Multicluster
import APIProxy
import Foundation
import Logging
import OIDC
import ProxyCore

/// The API proxy's settings after merging flags, the config file and defaults, and checking them.
struct APIProxySettings: Sendable {
    var server: ServerSettings
    /// The flags' issuer settings: the issuer of `--oidc-issuer` (empty when only a `--config` file's `issuers:`
    /// lists issuers), and the claim settings every listed issuer defaults to.
    var oidc: IssuerSettings
    /// The clients `--oidc-issuer`'s tokens are accepted for.
    var clientIDs: [String]
    /// Every issuer whose tokens are accepted: `--oidc-issuer`'s first, then those of `issuers:`.
    var issuers: [AcceptedIssuer]
    /// The client Basic credentials are exchanged for (password grant at `--oidc-issuer`); `nil`: Basic is refused.
    var passwordClientID: String?
    /// Its secret, for a confidential client.
    var passwordClientSecretFile: String?
    var kubeconfig: String?
    var kubeContext: String?
    var proxy: APIProxyConfiguration
    /// Whether `kubectl --as` is served for users allowed to impersonate (`--allow-user-impersonation`).
    var allowUserImpersonation: Bool
    /// Whether requests naming a managed cluster are forwarded to it (`--managed-clusters`).
    var managedClusters: Bool
    /// The name of this cluster in requests that name one (`--local-cluster-name`).
    var localClusterName: String
    /// Where the managed clusters are registered (`--managed-cluster-namespace`).
    var managedClusterNamespace: String

    var listen: ListenerConfiguration { server.listen }
    var management: ListenerConfiguration { server.management }
    var shutdownGracePeriod: Duration { server.shutdownGracePeriod }
    var logLevel: Logger.Level { server.logLevel }
    var issuer: String { oidc.issuer }
    var clockSkew: Double { oidc.clockSkew }
    var usernameClaim: String { oidc.usernameClaim }
    var groupsClaim: String { oidc.groupsClaim }
    var rolesClaim: String { oidc.rolesClaim }
    var requiredRole: String? { oidc.requiredRole }
    var allowSystemIdentities: Bool { oidc.allowSystemIdentities }

    typealias Problems = SettingsProblems

    /// The keys a `--config` file may use: the long flag names.
    static let settingNames: Set<String> = ServerSettings.settingNames.union(IssuerSettings.settingNames)
        .union(KubeconfigOptions.settingNames)
        .union(["issuers", "oidc-client-id", "oidc-password-client-id", "oidc-password-client-secret-file", "api-path-prefix", "cors-allowed-origin", "public-origin", "allow-user-impersonation", "managed-clusters", "local-cluster-name",
                "managed-cluster-namespace"])

    /// Resolves `options` over the `--config` file and the defaults.
    static func resolve(_ options: APIProxyOptions) throws(Problems) -> APIProxySettings {
        var file = options.configFile.load()
        var problems: [String] = []

        let server = ServerSettings.resolve(options.server, file: &file, problems: &problems)
        let listed = file.decode(IssuersConfiguration.self, key: "issuers")
        let oidc = IssuerSettings.resolve(options.issuer, defaultUsernameClaim: "sub", issuerRequired: listed == nil,
                                          file: &file, problems: &problems)
        let clientIDs = options.oidcClientId.isEmpty ? (file.strings("oidc-client-id") ?? []) : options.oidcClientId
        let flagIssuer = oidc.flatMap { $0.issuer.isEmpty ? nil : $0 }
        if clientIDs.isEmpty && (flagIssuer != nil || listed == nil) {
            problems.append("at least one --oidc-client-id is required (Verrazzano: verrazzano-pkce, verrazzano-pg)")
        }
        if clientIDs.contains(where: \.isEmpty) { problems.append("--oidc-client-id must not be empty") }
        if oidc != nil && flagIssuer == nil && !clientIDs.isEmpty {
            problems.append("--oidc-client-id needs --oidc-issuer; give the clients of each issuer of issuers: as its client-id")
        }
        // Basic: the password grant at --oidc-issuer, for a client whose tokens it accepts.
        let passwordClient = options.oidcPasswordClientId ?? file.string("oidc-password-client-id") ?? "verrazzano-pg"
        if passwordClient.isEmpty { problems.append("--oidc-password-client-id must not be empty") }
        let passwordSecretFile = options.oidcPasswordClientSecretFile ?? file.string("oidc-password-client-secret-file")
        if let path = passwordSecretFile {
            SettingChecks.checkReadable(path, flag: "--oidc-password-client-secret-file", into: &problems)
        }
        let passwordClientID = flagIssuer != nil && clientIDs.contains(passwordClient) ? passwordClient : nil
        if passwordSecretFile != nil && passwordClientID == nil {
            problems.append("--oidc-password-client-secret-file needs --oidc-issuer with --oidc-client-id \(passwordClient): Basic credentials are exchanged for that client's tokens")
        }
        var issuers = flagIssuer.map { [AcceptedIssuer(settings: $0, clientIDs: clientIDs)] } ?? []
        if let listed {
            issuers += Self.listedIssuers(listed, defaults: oidc, besides: flagIssuer?.issuer, into: &problems)
        }
        let (kubeconfig, kubeContext) = options.kube.resolve(file: &file)
        if let kubeconfig { SettingChecks.checkReadable(kubeconfig, flag: "--kubeconfig", into: &problems) }
        if kubeContext != nil && kubeconfig == nil { problems.append("--kube-context needs --kubeconfig") }

        let prefix = options.apiPathPrefix ?? file.string("api-path-prefix") ?? "/20210501"
        if !prefix.isEmpty && (!prefix.hasPrefix("/") || prefix.hasSuffix("/") || prefix.contains("?")) {
            problems.append("--api-path-prefix must start with / and not end with one, got \"\(prefix)\"")
        }
        let origins = options.corsAllowedOrigin.isEmpty ? (file.strings("cors-allowed-origin") ?? []) : options.corsAllowedOrigin
        for origin in origins { SettingChecks.checkOrigin(origin, flag: "--cors-allowed-origin", into: &problems) }
        let publicOrigin = options.publicOrigin ?? file.string("public-origin")
        if let publicOrigin { SettingChecks.checkOrigin(publicOrigin, flag: "--public-origin", into: &problems) }

        let allowUserImpersonation = options.allowUserImpersonation || (file.bool("allow-user-impersonation") ?? false)
        let managedClusters = options.managedClusters || (file.bool("managed-clusters") ?? false)
        let localClusterName = options.localClusterName ?? file.string("local-cluster-name") ?? "local"
        if ClusterName(localClusterName) == nil {
            problems.append("--local-cluster-name must be a DNS-1123 subdomain (lower case letters, digits, '-' and '.'), got \"\(localClusterName)\"")
        }
        let managedClusterNamespace = options.managedClusterNamespace ?? file.string("managed-cluster-namespace")
            ?? VerrazzanoManagedCluster.defaultNamespace
        if ClusterName(managedClusterNamespace) == nil || managedClusterNamespace.contains(".") || managedClusterNamespace.utf8.count > 63 {
            problems.append("--managed-cluster-namespace must be a namespace name (a DNS-1123 label), got \"\(managedClusterNamespace)\"")
        }

        file.reportUnknownKeys(known: Self.settingNames)
        problems.insert(contentsOf: file.problems, at: 0)
        guard problems.isEmpty, let server, let oidc else { throw Problems(messages: problems) }

        return APIProxySettings(
            server: server, oidc: oidc, clientIDs: clientIDs, issuers: issuers, passwordClientID: passwordClientID,
            passwordClientSecretFile: passwordSecretFile, kubeconfig: kubeconfig, kubeContext: kubeContext,
            proxy: APIProxyConfiguration(apiPathPrefix: prefix,
                                         cors: CORSPolicy(allowedOrigins: Set(origins), publicOrigin: publicOrigin)),
            allowUserImpersonation: allowUserImpersonation, managedClusters: managedClusters, localClusterName: localClusterName,
            managedClusterNamespace: managedClusterNamespace)
    }

    /// The issuers of a `--config` file's `issuers:` list, checked (every entry's problems are added, each naming its
    /// field), with claim settings it leaves out taken from `defaults`.
    private static func listedIssuers(_ listed: IssuersConfiguration, defaults: IssuerSettings?, besides flagIssuer: String?,
                                      into problems: inout [String]) -> [AcceptedIssuer] {
        let before = problems.count
        do throws(IssuerConfigurationError) {
            try listed.validate()
        } catch {
            problems += error.problems.map { "--config \($0.field): \($0.message)" }
        }
        for (index, entry) in listed.issuers.enumerated() {
            if let caFile = entry.caFile, !caFile.isEmpty {
                SettingChecks.checkCertificates(caFile, flag: "--config issuers[\(index)].ca-file", into: &problems)
            }
            if let flagIssuer, entry.issuer == flagIssuer {
                problems.append("--config issuers[\(index)].issuer: \"\(flagIssuer)\" is also --oidc-issuer; give each issuer once")
            }
        }
        guard problems.count == before, let defaults else { return [] }
        return listed.issuers.map { AcceptedIssuer(settings: defaults.entry($0), clientIDs: $0.clientIDs) }
    }
}

/// An issuer whose bearer tokens the API proxy accepts, and the clients (`azp`) it accepts them for.
struct AcceptedIssuer: Sendable {
    var settings: IssuerSettings
    var clientIDs: [String]

    /// Which of its tokens are acceptable.
    var tokenPolicy: TokenPolicy { settings.tokenPolicy(clientIDs: clientIDs) }
}
