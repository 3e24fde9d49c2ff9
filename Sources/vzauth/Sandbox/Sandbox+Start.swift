import APIProxy
import ArgumentParser
import ProxyCore
import ServiceSupport
import Foundation
import Logging
import OIDC
import ServiceLifecycle

extension Sandbox {
    /// Starts every part, in order: the OpenID provider, Kubernetes (the emulator, or the cluster of
    /// `--kubeconfig`), the demo console, then the RBAC controller and both proxies from the config files it writes
    /// in the folder (so what a user reads there is exactly how they were started). Writes the kubeconfigs and
    /// `sandbox.json` last.
    static func start(_ options: Options, logger: Logger) async throws -> Sandbox {
        let folder = try SandboxFolder(path: options.directory)
        let previous = folder.read("sandbox.json").flatMap { try? JSONDecoder().decode(SandboxSummary.self, from: Data($0.utf8)) }
        let ports = try SandboxPorts.choose(requested: options.ports, previous: previous?.ports)
        let authority = try folder.certificateAuthority()
        let tls = try folder.serverCertificate(signedBy: authority)
        let caFile = folder.path("ca.crt")
        // What to stop afterwards: the in-process servers first, then the components' clients (which close at once
        // once nothing answers their open watches, instead of waiting for them to end).
        var servers: [@Sendable () async -> Void] = []
        var clients: [@Sendable () async -> Void] = []
        func stopAll() async {
            for stop in servers { await stop() }
            for stop in clients { await stop() }
        }

        do {
            // The console as localhost, the issuer as 127.0.0.1: two sites, so that each keeps its own cookies.
            let consoleURL = "http://localhost:\(ports.console)"
            let issuer = try await SandboxIdentityProvider.start(
                folder: folder, port: ports.issuer, usersFile: options.usersFile,
                consoleCallback: consoleURL + "/_authentication_callback",
                consoleBackChannelLogout: consoleURL + "/_single_logout", logger: logger)
            servers.append(issuer.stop)
            let kubernetes = try await SandboxKubernetes.start(
                folder: folder, port: ports.kubernetes, kubeconfig: options.kubeconfig, tls: tls, caFile: caFile,
                logger: logger)
            servers.append(kubernetes.stop)
            let console = try await DemoConsole.start(port: ports.demoConsole)
            servers.append { await console.shutdown() }

            let configs = SandboxConfigs(folder: folder, ports: ports, issuer: issuer.url, tls: tls,
                                         kubernetes: kubernetes, logLevel: options.logLevel, logFormat: options.logFormat)
            let controller = try RBACControllerRuntime(
                settings: try RBACControllerSettings.resolve(RBACControllerOptions.parse(["--config", try configs.rbacController()])))
                .makeServices(logger: logger.with(label: "rbac-controller"))
            clients.append { await controller.shutdown() }
            let apiProxy = try APIProxyRuntime(
                settings: try APIProxySettings.resolve(APIProxyOptions.parse(["--config", try configs.apiProxy()])))
                .makeServices(logger: logger.with(label: "api-proxy"))
            clients.append { await apiProxy.shutdown() }
            let oidcProxy = try OIDCProxyRuntime(
                settings: try OIDCProxySettings.resolve(OIDCProxyOptions.parse(["--config", try configs.oidcProxy()])))
                .makeServices(logger: logger.with(label: "oidc-proxy"))
            clients.append { await oidcProxy.shutdown() }

            let users = try SandboxKubeconfigs(folder: folder, executable: options.executable, issuer: issuer.url,
                                               apiProxy: "https://127.0.0.1:\(ports.apiProxy)", caFile: caFile)
                .write(for: issuer.users)
            let summary = SandboxSummary(
                issuer: issuer.url, apiProxy: "https://127.0.0.1:\(ports.apiProxy)", console: consoleURL + "/",
                kubernetes: kubernetes.url, adminKubeconfig: kubernetes.adminKubeconfig,
                management: .init(apiProxy: "http://127.0.0.1:\(ports.apiProxyManagement)",
                                  oidcProxy: "http://127.0.0.1:\(ports.consoleProxyManagement)",
                                  rbacController: "http://127.0.0.1:\(ports.rbacControllerManagement)"),
                certificateAuthority: caFile, users: users, ports: ports)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let summaryFile = try folder.write(String(decoding: try encoder.encode(summary), as: UTF8.self) + "\n", to: "sandbox.json")
            let (stoppingServers, stoppingClients) = (servers, clients)
            let keyProviders = apiProxy.keyProviders + oidcProxy.keyProviders
            return Sandbox(services: controller.all + apiProxy.all + oidcProxy.all, summary: summary,
                           usersFile: issuer.usersFile, summaryFile: summaryFile, stop: {
                for stop in stoppingServers { await stop() }
                for stop in stoppingClients { await stop() }
            }, ready: {
                for proxy in [apiProxy, oidcProxy] {
                    _ = try await proxy.server.localAddress
                    _ = try await proxy.management.localAddress
                }
                _ = try await controller.management.localAddress
                for _ in 0..<200 where !keyProviders.allSatisfy(\.isReady) {
                    try await Task.sleep(for: .milliseconds(50))
                }
            })
        } catch {
            await stopAll()
            throw error
        }
    }
}

extension Logger {
    /// This logger's handler and level under another label (each sandbox component logs under its own name).
    func with(label: String) -> Logger {
        var logger = self
        logger[metadataKey: "component"] = "\(label)"
        return logger
    }
}
