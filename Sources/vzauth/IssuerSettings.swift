import Foundation
import Multicluster
import OIDC

/// How tokens are checked: the issuer, where its keys are, and how claims become an identity. Shared by the proxies.
struct IssuerSettings: Sendable {
    /// The issuer; empty only when none was given and none was required (see ``resolve(_:defaultUsernameClaim:issuerRequired:file:problems:)``).
    var issuer: String
    var discoveryURL: String?
    var caFile: String?
    var clockSkew: Double
    var usernameClaim: String
    var groupsClaim: String
    var groupsDelimiter: String?
    var acceptedAudiences: [String]
    var rolesClaim: String
    var requiredRole: String?
    var allowSystemIdentities: Bool

    /// The config file keys these settings use.
    static let settingNames: Set<String> = [
        "oidc-issuer", "oidc-discovery-url", "oidc-ca-file", "clock-skew", "username-claim", "groups-claim",
        "groups-claim-delimiter", "oidc-audience", "roles-claim", "required-role", "insecure-allow-system-identities",
    ]

    /// Merges `flags` over `file` and the defaults (`defaultUsernameClaim` differs per proxy); adds what is wrong to
    /// `problems` (then the result is `nil`). Without `issuerRequired` and without `--oidc-issuer`, the result has an
    /// empty ``issuer``: only its claim settings and skew count, as the defaults of other issuers.
    static func resolve<Help>(_ flags: IssuerOptions<Help>, defaultUsernameClaim: String, issuerRequired: Bool = true,
                              file: inout ConfigFile, problems: inout [String]) -> IssuerSettings? {
        let before = problems.count
        let issuer = flags.oidcIssuer ?? file.string("oidc-issuer") ?? (issuerRequired ? nil : "")
        if let issuer {
            if !issuer.isEmpty || issuerRequired { SettingChecks.checkURL(issuer, flag: "--oidc-issuer", into: &problems) }
        } else {
            problems.append("--oidc-issuer is required")
        }
        let discoveryURL = flags.oidcDiscoveryUrl ?? file.string("oidc-discovery-url")
        if let discoveryURL { SettingChecks.checkURL(discoveryURL, flag: "--oidc-discovery-url", into: &problems) }
        let caFile = flags.oidcCaFile ?? file.string("oidc-ca-file")
        if let caFile { SettingChecks.checkCertificates(caFile, flag: "--oidc-ca-file", into: &problems) }
        let skew = flags.clockSkew ?? file.double("clock-skew") ?? 30
        if !(0...600).contains(skew) { problems.append("--clock-skew must be between 0 and 600 seconds") }

        let usernameClaim = flags.usernameClaim ?? file.string("username-claim") ?? defaultUsernameClaim
        let groupsClaim = flags.groupsClaim ?? file.string("groups-claim") ?? "groups"
        let rolesClaim = flags.rolesClaim ?? file.string("roles-claim") ?? "realm_access.roles"
        for (flag, value) in [("--username-claim", usernameClaim), ("--groups-claim", groupsClaim), ("--roles-claim", rolesClaim)]
        where value.isEmpty || value.hasPrefix(".") || value.hasSuffix(".") || value.contains("..") {
            problems.append("\(flag) must name a claim, got \"\(value)\"")
        }
        let groupsDelimiter = flags.groupsClaimDelimiter ?? file.string("groups-claim-delimiter")
        if groupsDelimiter == "" { problems.append("--groups-claim-delimiter must not be empty") }
        let audiences = flags.oidcAudience.isEmpty ? (file.strings("oidc-audience") ?? []) : flags.oidcAudience
        if audiences.contains(where: \.isEmpty) { problems.append("--oidc-audience must not be empty") }
        let requiredRole = flags.requiredRole ?? file.string("required-role")
        if requiredRole == "" { problems.append("--required-role must not be empty") }
        let allowSystem = flags.insecureAllowSystemIdentities || (file.bool("insecure-allow-system-identities") ?? false)

        guard problems.count == before, let issuer else { return nil }
        return IssuerSettings(
            issuer: issuer, discoveryURL: discoveryURL, caFile: caFile, clockSkew: skew, usernameClaim: usernameClaim,
            groupsClaim: groupsClaim, groupsDelimiter: groupsDelimiter, acceptedAudiences: audiences,
            rolesClaim: rolesClaim, requiredRole: requiredRole,
            allowSystemIdentities: allowSystem)
    }

    /// The settings of one entry of a `--config` file's `issuers:` list (validated): its own issuer, discovery URL,
    /// CA, audiences and required role; claim names it leaves out are these settings' (the flags' or defaults). The
    /// clock skew and `--insecure-allow-system-identities` apply to every issuer.
    func entry(_ entry: IssuerConfiguration) -> IssuerSettings {
        var settings = self
        settings.issuer = entry.issuer ?? ""
        settings.discoveryURL = entry.discoveryURL
        settings.caFile = entry.caFile
        settings.usernameClaim = entry.usernameClaim ?? usernameClaim
        settings.groupsClaim = entry.groupsClaim ?? groupsClaim
        settings.groupsDelimiter = entry.groupsClaimDelimiter ?? groupsDelimiter
        settings.rolesClaim = entry.rolesClaim ?? rolesClaim
        settings.acceptedAudiences = entry.audiences
        settings.requiredRole = entry.requiredRole
        return settings
    }

    /// Where and how to fetch the issuer's documents.
    var providerConfiguration: OIDCProviderConfiguration {
        OIDCProviderConfiguration(issuer: issuer, discoveryURL: discoveryURL, caFilePath: caFile)
    }

    /// How claims become an identity.
    var claimMapping: ClaimMapping {
        ClaimMapping(usernameClaim: usernameClaim, groupsClaim: groupsClaim, rolesClaim: rolesClaim,
                     requiredRole: requiredRole, allowSystemPrefixedNames: allowSystemIdentities,
                     groupsDelimiter: groupsDelimiter)
    }

    /// Which tokens are acceptable: this issuer, these clients, this skew.
    func tokenPolicy(clientIDs: [String]) -> TokenPolicy {
        TokenPolicy(issuer: issuer, allowedClientIDs: Set(clientIDs), clockSkew: clockSkew,
                    acceptedAudiences: Set(acceptedAudiences))
    }
}
