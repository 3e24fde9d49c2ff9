import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import OIDC
import ProxyCore
import ServiceLifecycle
import VZAuthTestSupport
@testable import vzauth

/// An OIDC proxy run in-process on loopback between an issuer double (shared, so several proxies can share one
/// single sign-on session) and its own console double.
struct OIDCProxyHarness {
    let issuer: OIDCIssuerDouble
    let console: ConsoleDouble
    let host: String
    let proxyPort: Int
    let managementPort: Int
    /// The contents of the proxy's cookie secret file (to seal a session cookie as the proxy would).
    let cookieSecret: [UInt8]

    /// The proxy's external base URL (also its public URL).
    var baseURL: String { "http://\(host):\(proxyPort)" }
    func url(_ path: String) -> String { baseURL + path }

    /// The user every test logs in as.
    static let alice = OIDCIssuerDouble.User(
        username: "alice", subject: "8f0e6c1e-3b7a-4d4f-9b1a-5c2d7e9f0a11", groups: ["verrazzano-admins", "team-a"],
        roles: ["vz_api_access"], password: "wonderland")

    /// An issuer double with alice, who is logged in automatically at the first login.
    static func makeIssuer() async throws -> OIDCIssuerDouble {
        let issuer = OIDCIssuerDouble()
        try await issuer.start()
        issuer.addUser(alice)
        issuer.addUser(OIDCIssuerDouble.User(username: "bob", groups: ["team-b"], roles: ["offline_access"], password: "builder"))
        issuer.setAutoLoginUser("alice")
        issuer.setAllowedClients(["verrazzano-pkce", "verrazzano-pg"])
        return issuer
    }

    /// Runs `body` with a fresh issuer from ``makeIssuer()``, shut down afterwards whether `body` passed or failed.
    static func withIssuer(_ body: (OIDCIssuerDouble) async throws -> Void) async throws {
        let issuer = try await makeIssuer()
        let outcome = await Result { try await body(issuer) }
        try await issuer.shutdown()
        try outcome.get()
    }

    /// Starts a console double and a proxy in front of it (reached as `host`), runs `body`, stops both. The proxy
    /// logs to `logger` when given (its level is set from the settings), else to standard error.
    static func with(issuer: OIDCIssuerDouble, host: String = "127.0.0.1", extraArguments: [String] = [],
                     logger: Logger? = nil, _ body: (OIDCProxyHarness) async throws -> Void) async throws {
        let console = ConsoleDouble()
        try await console.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-oidc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let secretFile = directory.appendingPathComponent("cookie-secret")
        let cookieSecret = (0..<48).map { _ in UInt8.random(in: 33...126) }
        try Data(cookieSecret).write(to: secretFile)
        let port = try await freePort()

        let arguments = [
            "--listen", "127.0.0.1:\(port)", "--management-listen", "127.0.0.1:0",
            "--oidc-issuer", issuer.issuer, "--upstream", console.baseURL, "--public-url", "http://\(host):\(port)",
            "--cookie-secret-file", secretFile.path, "--log-level", "warning",
        ] + extraArguments
        let settings = try OIDCProxySettings.resolve(try OIDCProxyOptions.parse(arguments))
        var proxyLogger = logger ?? LogOutput().logger(label: "test", level: settings.server.logLevel)
        proxyLogger.logLevel = settings.server.logLevel
        let services = try OIDCProxyRuntime(settings: settings).makeServices(logger: proxyLogger)
        let outcome = await Result {
            try await withRunningProxy(services) { proxyPort, managementPort in
                try await body(OIDCProxyHarness(issuer: issuer, console: console, host: host, proxyPort: proxyPort,
                                                managementPort: managementPort, cookieSecret: cookieSecret))
            }
        }
        try await console.shutdown()
        try? FileManager.default.removeItem(at: directory)
        try outcome.get()
    }

    /// A TCP port nothing listens on right now (the public URL must name the port before the proxy binds it),
    /// below the ephemeral range as the sandbox picks them: other tests' outgoing connections cannot take it
    /// before the proxy binds it.
    static func freePort() async throws -> Int {
        let ephemeralStart = SandboxPorts.ephemeralRangeStart()
        for _ in 0..<64 where ephemeralStart > 10_000 {
            let port = Int.random(in: 10_000..<ephemeralStart)
            if let channel = try? await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: "127.0.0.1", port: port).get() {
                try await channel.close()
                return port
            }
        }
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress!.port!
        try await channel.close()
        return port
    }
}
