import Foundation
import NIOCore
import NIOPosix

/// The loopback ports of the sandbox's listeners: those given on the command line, else those of the previous
/// start (kept in `sandbox.json`, so kubeconfigs made then still work) when they are free, else free ones.
struct SandboxPorts: Codable, Sendable, Hashable {
    var issuer: Int
    var kubernetes: Int
    var apiProxy: Int
    var apiProxyManagement: Int
    var console: Int
    var consoleProxyManagement: Int
    var demoConsole: Int
    var rbacControllerManagement: Int

    /// The ports a user may choose on the command line.
    struct Requested: Sendable, Hashable {
        var issuer: Int?
        var kubernetes: Int?
        var apiProxy: Int?
        var console: Int?
    }

    /// The ports to use: those `requested`, else `previous` where free, else free ones.
    static func choose(requested: Requested, previous: SandboxPorts?) throws -> SandboxPorts {
        var given: [WritableKeyPath<SandboxPorts, Int>: Int] = [:]
        given[\.issuer] = requested.issuer
        given[\.kubernetes] = requested.kubernetes
        given[\.apiProxy] = requested.apiProxy
        given[\.console] = requested.console
        var ports = SandboxPorts(issuer: 0, kubernetes: 0, apiProxy: 0, apiProxyManagement: 0, console: 0,
                                 consoleProxyManagement: 0, demoConsole: 0, rbacControllerManagement: 0)
        var taken: Set<Int> = []
        for key in Self.all {
            if let port = given[key] {
                ports[keyPath: key] = port
            } else if let old = previous?[keyPath: key], old > 0, !taken.contains(old), isFree(old) {
                ports[keyPath: key] = old
            } else {
                var port = try freePort()
                while taken.contains(port) { port = try freePort() }
                ports[keyPath: key] = port
            }
            taken.insert(ports[keyPath: key])
        }
        return ports
    }

    static var all: [WritableKeyPath<SandboxPorts, Int>] { [
        \.issuer, \.kubernetes, \.apiProxy, \.apiProxyManagement, \.console, \.consoleProxyManagement, \.demoConsole,
        \.rbacControllerManagement,
    ] }

    /// Whether `port` can be bound on 127.0.0.1 now.
    static func isFree(_ port: Int) -> Bool {
        guard let channel = try? ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: port).wait() else { return false }
        try? channel.close().wait()
        return true
    }

    /// A port the system says is free on 127.0.0.1 now.
    static func freePort() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).wait()
        defer { try? channel.close().wait() }
        guard let port = channel.localAddress?.port else { throw SandboxError("no free port on 127.0.0.1") }
        return port
    }
}

/// Why the sandbox cannot start: one line naming the thing and the fix.
struct SandboxError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
