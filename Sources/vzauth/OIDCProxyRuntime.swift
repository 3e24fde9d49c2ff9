import AsyncHTTPClient
import Foundation
import Logging
import NIOSSL
import OIDC
import OIDCProxy
import ProxyCore
import ServiceLifecycle

/// Builds the OIDC proxy's services from validated settings and runs them until SIGTERM or SIGINT.
struct OIDCProxyRuntime {
    var settings: OIDCProxySettings

    /// The running parts of the proxy.
    typealias Services = ProxyServices

    /// Why the proxy cannot start.
    struct StartupError: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs the proxy until SIGTERM or SIGINT, then drains in-flight requests.
    func run() async throws {
        let output = LogOutput(format: settings.server.logFormat)
        defer { output.flush() }
        let services = try makeServices(logger: output.logger(label: "vzauth.oidc-proxy", level: settings.server.logLevel))
        try await ServiceRunner.run(services.all, logger: services.logger) { await services.shutdown() }
    }

    /// Builds every service from the settings (also used by tests, which run them in-process).
    func makeServices(logger: Logger) throws -> Services {
        let assembly = try ProxyAssembly(server: settings.server)
        let sealer: CookieSealer
        do {
            let secrets = try settings.cookieSecretFiles.map { path in
                [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            }
            sealer = try CookieSealer(secrets: secrets)
        } catch {
            throw StartupError(description: "cookie secrets: \(error)")
        }
        let routes = try RouteTable(settings.routes.map { spec in
            ConsoleRoute(host: spec.host, upstream: try Self.endpoint(for: spec.upstream),
                         upstreamBasePath: spec.upstream.path, publicBaseURL: settings.publicBaseURL(for: spec),
                         loginPaths: spec.loginPaths)
        })
        if settings.oidc.allowSystemIdentities {
            logger.warning("--insecure-allow-system-identities is set: tokens may name system: users and groups")
        }

        // Everything that can fail is done before the client is made (a client must be shut down).
        let loginClientSecret = try Self.secretFile(settings.loginClientSecretFile)
        let passwordClientSecret = try Self.secretFile(settings.passwordClientSecretFile)
        let issuerClient = assembly.issuerClient(caFile: settings.oidc.caFile)
        let keyProvider = assembly.keyProvider(settings.oidc, client: issuerClient, logger: logger)
        let tokenPolicy = settings.oidc.tokenPolicy(clientIDs: [settings.loginClientID, settings.passwordClientID])
        let authenticator = TokenAuthenticator(keySource: keyProvider, policy: tokenPolicy, mapping: settings.oidc.claimMapping)
        let secureCookies = settings.server.listen.tls != nil
            || routes.all.allSatisfy { $0.publicBaseURL.lowercased().hasPrefix("https:") }
        let policy: OIDCProxyPolicy
        do {
            policy = try OIDCProxyPolicy(
                configuration: OIDCProxyConfiguration(loginClientID: settings.loginClientID,
                                                      passwordClientID: settings.passwordClientID,
                                                      scopes: settings.scopes,
                                                      loginClientSecret: loginClientSecret,
                                                      passwordClientSecret: passwordClientSecret,
                                                      postLogoutRedirectURL: settings.postLogoutRedirectURL,
                                                      sessionMaxLifetime: settings.sessionMaxLifetime),
                routes: routes, authenticator: authenticator,
                tokenClient: OIDCTokenClient(keyProvider: keyProvider, httpClient: issuerClient, logger: logger),
                logoutVerifier: LogoutTokenVerifier(keySource: keyProvider, policy: tokenPolicy),
                discovery: { keyProvider.discoveryDocument }, sealer: sealer, secureCookies: secureCookies,
                metrics: OIDCProxyMetrics(registry: assembly.registry, prefix: "vzauth_oidc_proxy"), logger: logger)
        } catch {
            try? issuerClient.syncShutdown()  // made above: a client dropped without shutdown stops the process
            throw StartupError(description: "cookie settings: \(error)")
        }
        for route in routes.all {
            logger.info("serving a console", metadata: [
                "host": "\(route.host ?? "*")", "redirect_uri": "\(route.redirectURI)",
                "upstream": "\(route.upstream.tlsContext == nil ? "http" : "https")://\(route.upstream.host):\(route.upstream.port)\(route.upstreamBasePath)",
            ])
        }
        let (server, management, serving) = assembly.servers(
            policy: policy, listenerName: "oidc", metricsPrefix: "vzauth_oidc_proxy", logger: logger,
            readiness: {
                guard keyProvider.isReady else { return (false, "the issuer's signing keys are not loaded yet") }
                guard keyProvider.discoveryDocument?.authorizationEndpoint != nil,
                      keyProvider.discoveryDocument?.tokenEndpoint != nil else {
                    return (false, "the issuer's discovery document has no authorization or token endpoint")
                }
                return (true, "")
            })
        return Services(all: [keyProvider] + serving, server: server, management: management, keyProviders: [keyProvider],
                        issuerClient: issuerClient, logger: logger)
    }

    /// A client secret file, read now (a file that holds no secret stops the start, naming the file).
    static func secretFile(_ path: String?) throws -> OIDCClientSecretFile? {
        guard let path else { return nil }
        do {
            return try OIDCClientSecretFile(path: path)
        } catch {
            throw StartupError(description: error.description)
        }
    }

    /// The forwarding endpoint of a console URL (system trust roots for https).
    static func endpoint(for url: URL) throws -> UpstreamEndpoint {
        let isTLS = url.scheme?.lowercased() == "https"
        let host = url.host ?? "localhost"
        let tls = isTLS ? try UpstreamEndpoint.tlsContext(.makeClientConfiguration()) : nil
        return UpstreamEndpoint(host: host, port: url.port ?? (isTLS ? 443 : 80), tlsContext: tls)
    }
}
