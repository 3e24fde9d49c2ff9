import Foundation
import NIOCore
import NIOPosix
import Testing
@testable import ProxyCore
import VZAuthTestSupport

/// An upstream that answers each request head with exact bytes chosen by its path (`/raw/NAME`), then keeps the
/// connection open or closes it as the script says.
private final class ScriptedUpstream: Sendable {
    struct Answer: Sendable {
        var bytes: String
        var closeAfter = false
    }

    private let channel: any Channel
    var port: Int { channel.localAddress!.port! }

    init(group: any EventLoopGroup, answers: [String: Answer]) async throws {
        channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Responder(answers: answers))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func shutdown() async {
        try? await channel.close()
    }

    private final class Responder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let answers: [String: Answer]
        var received = ""

        init(answers: [String: Answer]) {
            self.answers = answers
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received += String(buffer: unwrapInboundIn(data))
            while let end = received.range(of: "\r\n\r\n") {
                let head = String(received[..<end.lowerBound])
                received = String(received[end.upperBound...])
                let path = head.split(separator: " ").dropFirst().first.map(String.init) ?? ""
                let answer = answers[String(path.dropFirst("/raw/".count))] ?? Answer(bytes: "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                let written = context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: answer.bytes)))
                if answer.closeAfter {
                    written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
                    return
                }
            }
        }
    }
}

@Suite("Forwarding against upstreams that send exact bytes")
struct ScriptedUpstreamTests {
    private static let answers: [String: ScriptedUpstream.Answer] = [
        "folded": .init(bytes: "HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n"),
        "smuggle": .init(bytes: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        "switch": .init(bytes: "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n"),
        "until-close": .init(bytes: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the close", closeAfter: true),
        "chunked": .init(bytes: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: X-Private\r\nX-Private: 1\r\n\r\n"
                         + "4\r\nabcd\r\n3;ext\r\nefg\r\n0\r\n\r\n"),
        "ok": .init(bytes: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    ]

    @Test("malformed, ambiguous and unasked-for switching responses become 502; the client connection goes on")
    func refusedResponses() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let upstream = try await ScriptedUpstream(group: group, answers: Self.answers)
        try await withProxy(upstreamPort: upstream.port) { port, _, group in
            for name in ["folded", "smuggle", "switch"] {
                let connection = try await RawConnection(group: group, port: port)
                try await connection.send("GET /raw/\(name) HTTP/1.1\r\nHost: x\r\n\r\n")
                let answer = await connection.waitFor { $0.contains("\r\n\r\n") }
                #expect(answer.hasPrefix("HTTP/1.1 502"), "\(name): \(answer)")
                // The same client connection still works.
                try await connection.send("GET /raw/ok HTTP/1.1\r\nHost: x\r\n\r\n")
                let next = await connection.waitFor { $0.hasSuffix("ok") }
                #expect(next.contains("HTTP/1.1 200 OK"), "\(name): \(next)")
                await connection.close()
            }
        }
        await upstream.shutdown()
        try await group.shutdownGracefully()
    }

    @Test("bodies without a length reach HTTP/1.1 clients chunked and HTTP/1.0 clients close-delimited")
    func reframing() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let upstream = try await ScriptedUpstream(group: group, answers: Self.answers)
        try await withProxy(upstreamPort: upstream.port) { port, _, group in
            let modern = try await RawConnection(group: group, port: port)
            try await modern.send("GET /raw/until-close HTTP/1.1\r\nHost: x\r\n\r\n")
            let chunked = await modern.waitFor { $0.hasSuffix("0\r\n\r\n") }
            #expect(chunked.contains("Transfer-Encoding: chunked\r\n"))
            #expect(chunked.hasSuffix("\r\n\r\nf\r\nuntil the close\r\n0\r\n\r\n"), "\(chunked)")
            #expect(!modern.isClosed)
            try await modern.send("GET /raw/chunked HTTP/1.1\r\nHost: x\r\n\r\n")
            let second = await modern.waitFor { $0.components(separatedBy: "0\r\n\r\n").count == 3 }
            #expect(second.hasSuffix("4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n"), "\(second)")
            #expect(!second.contains("X-Private"))
            await modern.close()

            let old = try await RawConnection(group: group, port: port)
            try await old.send("GET /raw/chunked HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
            let raw = await old.waitFor(timeout: .seconds(5)) { _ in old.isClosed }
            #expect(raw.hasPrefix("HTTP/1.0 200 OK\r\n"))
            #expect(raw.contains("Connection: close\r\n"))
            #expect(!raw.lowercased().contains("transfer-encoding"))
            #expect(raw.hasSuffix("\r\n\r\nabcdefg"), "\(raw)")
            #expect(old.isClosed)
        }
        await upstream.shutdown()
        try await group.shutdownGracefully()
    }
}
