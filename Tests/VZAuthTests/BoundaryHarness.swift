import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing
import VZAuthTestSupport
@testable import vzauth

/// One of the proxies, run in-process on plain HTTP with a given number of event loops, in front of an upstream
/// that records every byte it receives: for tests that send raw bytes and check what arrives upstream.
struct BoundaryHarness: Sendable {
    enum Proxy: String, Sendable, CaseIterable, CustomTestStringConvertible {
        case api, oidc
        var testDescription: String { self == .api ? "API proxy" : "OIDC proxy" }
    }

    let proxy: Proxy
    let issuer: OIDCIssuerDouble
    let upstream: WireRecordingUpstream
    let group: any EventLoopGroup
    let proxyPort: Int

    /// The credential the API proxy presents to its API server.
    static let proxyCredential = "proxy-credential-7f3a"

    /// The user tokens are minted for.
    static let subject = "3c9d2f4e-8a61-4b0e-9d3c-1f2e3d4c5b6a"

    /// A token for the default user, with `groups` (and other claims changed by `edit`).
    func token(groups: [String] = ["team-a"], edit: (inout [String: TokenJSON]) -> Void = { _ in }) -> String {
        var claims = issuer.minter.keycloakClaims(subject: Self.subject, username: "dave", groups: groups)
        edit(&claims)
        return issuer.mint(claims: claims)
    }

    /// A new raw connection to the proxy.
    func connect() async throws -> RawConnection {
        try await RawConnection(group: group, port: proxyPort)
    }

    /// The head the proxy must send upstream for a request with the client's `headers` (after `Host` and
    /// `Authorization`, which the client sends first), for the default user and `groups`, framed by `framing`.
    func expectedHead(_ method: String, _ path: String, headers: [(String, String)] = [], groups: [String] = ["team-a"],
                      framing: String? = nil) -> String {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(upstream.port)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        switch proxy {
        case .api:
            text += "X-Forwarded-For: 127.0.0.1\r\nAuthorization: Bearer \(Self.proxyCredential)\r\n"
            text += "Impersonate-User: \(Self.subject)\r\n"
            for group in groups { text += "Impersonate-Group: \(group)\r\n" }
            text += "Impersonate-Group: system:authenticated\r\n"
        case .oidc:
            text += "X-Forwarded-For: 127.0.0.1\r\nX-WEBAUTH-USER: dave\r\nX-Forwarded-User: dave\r\n"
            if !groups.isEmpty { text += "X-Forwarded-Groups: \(groups.joined(separator: ","))\r\n" }
            text += "x-proxy-roles: vz_api_access,offline_access\r\n"
            text += "X-Forwarded-Proto: http\r\nX-Forwarded-Host: proxy.test\r\n"
        }
        if let framing { text += framing + "\r\n" }
        return text + "\r\n"
    }

    /// The start of a client request: request line, `Host` and the bearer token.
    func requestStart(_ method: String, _ path: String, token: String? = nil) -> String {
        "\(method) \(path) HTTP/1.1\r\nHost: proxy.test\r\nAuthorization: Bearer \(token ?? self.token())\r\n"
    }

    /// Runs `body` against `proxy` with `threads` event loops.
    static func with(_ proxy: Proxy, threads: Int, extraArguments: [String] = [],
                     _ body: (BoundaryHarness) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let upstream = try await WireRecordingUpstream(group: group)
        let issuer = OIDCIssuerDouble()
        try await issuer.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-boundary-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let common = ["--listen", "127.0.0.1:0", "--management-listen", "127.0.0.1:0", "--oidc-issuer", issuer.issuer,
                      "--event-loop-threads", String(threads), "--log-level", "critical"]
        let services: ProxyServices
        switch proxy {
        case .api:
            let kubeconfig = directory.appendingPathComponent("kubeconfig")
            try """
                apiVersion: v1
                kind: Config
                clusters:
                - name: upstream
                  cluster:
                    server: http://127.0.0.1:\(upstream.port)
                users:
                - name: proxy
                  user:
                    token: \(proxyCredential)
                contexts:
                - name: upstream
                  context:
                    cluster: upstream
                    user: proxy
                current-context: upstream
                """.write(to: kubeconfig, atomically: true, encoding: .utf8)
            let arguments = common + ["--oidc-client-id", "verrazzano-pkce", "--kubeconfig", kubeconfig.path] + extraArguments
            let settings = try APIProxySettings.resolve(try APIProxyOptions.parse(arguments))
            services = try APIProxyRuntime(settings: settings).makeServices(logger: LogOutput().logger(label: "test", level: .critical))
        case .oidc:
            let secretFile = directory.appendingPathComponent("cookie-secret")
            try Data((0..<48).map { _ in UInt8.random(in: 33...126) }).write(to: secretFile)
            let arguments = common + ["--upstream", "http://127.0.0.1:\(upstream.port)", "--public-url", "http://proxy.test",
                                      "--cookie-secret-file", secretFile.path] + extraArguments
            let settings = try OIDCProxySettings.resolve(try OIDCProxyOptions.parse(arguments))
            services = try OIDCProxyRuntime(settings: settings).makeServices(logger: LogOutput().logger(label: "test", level: .critical))
        }
        let outcome = await Result {
            try await withRunningProxy(services) { proxyPort, _ in
                try await body(BoundaryHarness(proxy: proxy, issuer: issuer, upstream: upstream, group: group, proxyPort: proxyPort))
            }
        }
        await upstream.shutdown()
        try await issuer.shutdown()
        try? FileManager.default.removeItem(at: directory)
        try await group.shutdownGracefully()
        try outcome.get()
    }
}

/// The pairs of proxy and event-loop count every boundary test runs with.
let everyProxyAndLoopCount: [(BoundaryHarness.Proxy, Int)] = [(.api, 1), (.api, 2), (.oidc, 1), (.oidc, 2)]

/// Chunk-decodes `text` strictly, byte by byte (sizes in hex, CRLF after each chunk, last chunk with an empty
/// trailer section): the body and what follows the body, or `nil` when the text is not exactly chunked.
func dechunk(_ text: Substring) -> (body: String, rest: String)? {
    let bytes = Array(text.utf8)
    var position = 0
    var body: [UInt8] = []
    func crlf(at index: Int) -> Bool {
        index + 1 < bytes.count && bytes[index] == UInt8(ascii: "\r") && bytes[index + 1] == UInt8(ascii: "\n")
    }
    while true {
        var lineEnd = position
        while lineEnd < bytes.count, !crlf(at: lineEnd) { lineEnd += 1 }
        guard lineEnd < bytes.count, let size = Int(String(decoding: bytes[position..<lineEnd], as: UTF8.self), radix: 16) else {
            return nil
        }
        position = lineEnd + 2
        if size == 0 {
            guard crlf(at: position) else { return nil }
            return (String(decoding: body, as: UTF8.self), String(decoding: bytes[(position + 2)...], as: UTF8.self))
        }
        guard position + size + 2 <= bytes.count, crlf(at: position + size) else { return nil }
        body += bytes[position..<(position + size)]
        position += size + 2
    }
}
