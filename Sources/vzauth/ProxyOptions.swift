/// The flags both proxies share (each declares them itself, with its own help text and defaults).
protocol ProxyOptions {
    var listen: String? { get }
    var managementListen: String? { get }
    var tlsCertFile: String? { get }
    var tlsPrivateKeyFile: String? { get }
    var shutdownGracePeriod: Double? { get }
    var eventLoopThreads: Int? { get }
    var logLevel: String? { get }
    var oidcIssuer: String? { get }
    var oidcDiscoveryUrl: String? { get }
    var oidcCaFile: String? { get }
    var clockSkew: Double? { get }
    var usernameClaim: String? { get }
    var groupsClaim: String? { get }
    var rolesClaim: String? { get }
    var requiredRole: String? { get }
    var insecureAllowSystemIdentities: Bool { get }
}

extension ProxyOptions {
    /// The listener, TLS, shutdown, thread and log flags.
    var serverFlags: ServerSettings.Flags {
        ServerSettings.Flags(listen: listen, managementListen: managementListen, tlsCertFile: tlsCertFile,
                             tlsPrivateKeyFile: tlsPrivateKeyFile, shutdownGracePeriod: shutdownGracePeriod,
                             eventLoopThreads: eventLoopThreads, logLevel: logLevel)
    }

    /// The issuer and claim flags.
    var issuerFlags: IssuerSettings.Flags {
        IssuerSettings.Flags(issuer: oidcIssuer, discoveryURL: oidcDiscoveryUrl, caFile: oidcCaFile, clockSkew: clockSkew,
                             usernameClaim: usernameClaim, groupsClaim: groupsClaim, rolesClaim: rolesClaim,
                             requiredRole: requiredRole, allowSystemIdentities: insecureAllowSystemIdentities)
    }
}

extension APIProxyOptions: ProxyOptions {}
extension OIDCProxyOptions: ProxyOptions {}
