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

    /// A port free on 127.0.0.1 now, below the system's ephemeral range when it can: the ports of outgoing
    /// connections (any client on the machine, a test's, kubectl's) come from that range, so one of them could take
    /// a port chosen there between this check and the sandbox's bind; below it only another listener can.
    static func freePort() throws -> Int {
        let ephemeralStart = ephemeralRangeStart()
        if ephemeralStart > 10_000 {
            for _ in 0..<64 {
                let port = Int.random(in: 10_000..<ephemeralStart)
                if isFree(port) { return port }
            }
        }
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).wait()
        defer { try? channel.close().wait() }
        guard let port = channel.localAddress?.port else { throw SandboxError("no free port on 127.0.0.1") }
        return port
    }

    /// The first port of the kernel's ephemeral range (`net.ipv4.ip_local_port_range`; Linux's default 32768).
    static func ephemeralRangeStart() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8),
              let first = text.split(whereSeparator: \.isWhitespace).first, let port = Int(first) else { return 32_768 }
        return port
    }
}

/// Why the sandbox cannot start: one line naming the thing and the fix.
struct SandboxError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
