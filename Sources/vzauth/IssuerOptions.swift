import ArgumentParser

/// How a proxy words the help of the ``IssuerOptions`` flags whose meaning or default differs between the proxies.
protocol IssuerOptionsHelp {
    static var oidcIssuer: String { get }
    static var oidcDiscoveryUrl: String { get }
    static var oidcCaFile: String { get }
    static var usernameClaim: String { get }
    static var groupsClaim: String { get }
    static var insecureAllowSystemIdentities: String { get }
}

/// A proxy's issuer and claim flags (resolved by ``IssuerSettings``). Every option is optional so that a `--config`
/// file can supply it; the defaults are applied when the settings are resolved.
struct IssuerOptions<Help: IssuerOptionsHelp>: ParsableArguments {
    @Option(help: ArgumentHelp(Help.oidcIssuer))
    var oidcIssuer: String?

    @Option(help: ArgumentHelp(Help.oidcDiscoveryUrl))
    var oidcDiscoveryUrl: String?

    @Option(help: ArgumentHelp(Help.oidcCaFile))
    var oidcCaFile: String?

    @Option(help: "Leeway in seconds for exp, nbf and iat. (default: 30)")
    var clockSkew: Double?

    @Option(help: ArgumentHelp(Help.usernameClaim))
    var usernameClaim: String?

    @Option(help: ArgumentHelp(Help.groupsClaim))
    var groupsClaim: String?

    @Option(help: "Split a groups claim that is one string at this delimiter (some providers join groups). (default: a string is one group)")
    var groupsClaimDelimiter: String?

    @Option(help: "An extra accepted aud of bearer tokens, whatever their azp: access tokens issued for the proxy as an API (e.g. api://vzauth). Repeatable. (default: none)")
    var oidcAudience: [String] = []

    @Option(help: "Claim that lists the roles, dotted for nested claims. (default: realm_access.roles)")
    var rolesClaim: String?

    @Option(help: "A role every user must have (Verrazzano: vz_api_access); missing: 403. (default: none)")
    var requiredRole: String?

    @Flag(help: ArgumentHelp(Help.insecureAllowSystemIdentities))
    var insecureAllowSystemIdentities: Bool = false
}
