import Foundation
import KubeClient
import Testing
import VZAuthTestSupport

/// The real `kubectl port-forward` against the double: SPDY/3.1 sessions, tunnelled over WebSocket (the
/// kubectl 1.30+ default) or over a plain `Upgrade: SPDY/3.1`, relayed to a local echo server.
@Suite("kubectl port-forward against the API server double", .enabled(if: KubectlRunner.isAvailable))
struct KubectlPortForwardTests {
    /// Pod port 8080 of any pod goes to the echo server; other ports have no target.
    func withPortForward(
        environment: [String: String] = [:],
        _ body: (KubeAPIEmulator, _ localPorts: (echo: Int, unmapped: Int), _ kubectl: RunningKubectl) async throws -> Void
    ) async throws {
        let echo = try await TCPEchoServer.start()
        defer { Task { try? await echo.shutdown() } }
        try await DoubleFixture.with({ $0.portForwardTarget = { $0.port == 8080 ? echo.port : nil } }) { fixture in
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let pod: JSONValue = ["metadata": ["name": "web"], "spec": ["containers": [["name": "main", "image": "busybox"]]]]
            try fixture.server.upsert(pod, resource: "pods", namespace: "default")
            let runner = try KubectlRunner(server: fixture.server, authority: fixture.authority, directory: directory)
            let kubectl = try runner.start(["port-forward", "pod/web", ":8080", ":9999"], environment: environment)
            defer { kubectl.stop() }
            let output = try await kubectl.waitForOutput { $0.contains("Forwarding from 127.0.0.1:") && $0.contains("-> 9999") }
            let echoPort = try #require(Self.localPort(in: output, target: 8080), "\(output)")
            let unmappedPort = try #require(Self.localPort(in: output, target: 9999), "\(output)")
            try await body(fixture.server, (echoPort, unmappedPort), kubectl)
        }
    }

    /// The local port of `Forwarding from 127.0.0.1:PORT -> TARGET`.
    static func localPort(in output: String, target: Int) -> Int? {
        for line in output.split(separator: "\n") where line.hasPrefix("Forwarding from 127.0.0.1:") && line.hasSuffix("-> \(target)") {
            let rest = line.dropFirst("Forwarding from 127.0.0.1:".count)
            return Int(rest.prefix { $0.isNumber })
        }
        return nil
    }

    /// Two connections in turn, each echoed in full; then an unreachable port is reported by kubectl.
    func exercise(localPorts: (echo: Int, unmapped: Int), kubectl: RunningKubectl) async throws {
        let localPort = localPorts.echo
        let first = try await TCPEchoServer.exchange(port: localPort, sending: Array("hello through the tunnel\n".utf8))
        #expect(String(decoding: first, as: UTF8.self) == "hello through the tunnel\n")
        let large = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let second = try await TCPEchoServer.exchange(port: localPort, sending: large)
        #expect(second == large)

        _ = try? await TCPEchoServer.exchange(port: localPorts.unmapped, sending: Array("x".utf8), timeout: .seconds(3))
        let output = try await kubectl.waitForOutput(timeout: 5) { $0.contains("an error occurred forwarding \(localPorts.unmapped) -> 9999") }
        #expect(output.contains("no target for this port"))
    }

    @Test("kubectl port-forward tunnels SPDY over WebSocket (SPDY/3.1+portforward.k8s.io)")
    func webSocketTunnel() async throws {
        try await self.withPortForward { server, localPorts, kubectl in
            try await self.exercise(localPorts: localPorts, kubectl: kubectl)
            let upgrade = try #require(server.requests.first { $0.path == "/api/v1/namespaces/default/pods/web/portforward" })
            #expect(upgrade.header("Upgrade")?.lowercased() == "websocket")
            // No fallback to a plain SPDY upgrade.
            #expect(server.requests.filter { $0.path == upgrade.path }.count == 1)
            #expect(upgrade.header("Sec-WebSocket-Protocol")?.contains("SPDY/3.1+portforward.k8s.io") == true)
            #expect(upgrade.header("Authorization") == "Bearer test-token")
        }
    }

    @Test("kubectl port-forward over a plain SPDY/3.1 upgrade (KUBECTL_PORT_FORWARD_WEBSOCKETS=false)")
    func plainSPDY() async throws {
        try await self.withPortForward(environment: ["KUBECTL_PORT_FORWARD_WEBSOCKETS": "false"]) { server, localPorts, kubectl in
            try await self.exercise(localPorts: localPorts, kubectl: kubectl)
            let upgrade = try #require(server.requests.first { $0.path == "/api/v1/namespaces/default/pods/web/portforward" })
            #expect(upgrade.header("Upgrade") == "SPDY/3.1")
            #expect(upgrade.header("X-Stream-Protocol-Version")?.contains("portforward.k8s.io") == true)
        }
    }

    @Test("port-forward is refused without permission to create pods/portforward")
    func forbidden() async throws {
        try await DoubleFixture.with({ config in
            config.authorization = .custom { $0.subresource != "portforward" }
        }) { fixture in
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let pod: JSONValue = ["metadata": ["name": "web"], "spec": ["containers": [["name": "main", "image": "busybox"]]]]
            try fixture.server.upsert(pod, resource: "pods", namespace: "default")
            let runner = try KubectlRunner(server: fixture.server, authority: fixture.authority, directory: directory)
            let kubectl = try runner.start(["port-forward", "pod/web", ":8080"], environment: [:])
            defer { kubectl.stop() }
            let output = try await kubectl.waitForOutput { $0.lowercased().contains("forbidden") || $0.contains("error") }
            #expect(!output.contains("Forwarding from"))
            #expect(output.contains(#"cannot create resource "pods/portforward""#), "\(output)")
        }
    }
}
