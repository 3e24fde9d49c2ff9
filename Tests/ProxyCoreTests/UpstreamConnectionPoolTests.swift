import NIOCore
import NIOPosix
import Testing
@testable import ProxyCore
#if canImport(Glibc)
import Glibc
#endif

@Suite("Upstream connection pool")
struct UpstreamConnectionPoolTests {
    @Test("upstream connections probe with TCP keep-alive, so a vanished API server is noticed on an open watch")
    func tcpKeepAlive() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let upstream = try await TestUpstream(group: group)
        let loop = group.next()
        let options = try await loop.flatSubmit {
            let pool = UpstreamConnectionPool(eventLoop: loop, configuration: UpstreamPoolConfiguration())
            let endpoint = UpstreamEndpoint(host: "127.0.0.1", port: upstream.port, tlsContext: nil)
            return pool.connect(endpoint).flatMap { connection in
                let channel = connection.value.channel!
                var names: [(ChannelOptions.Types.SocketOption)] = [.init(level: .socket, name: .so_keepalive)]
                #if os(Linux)
                names += [TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT].map { .init(level: .tcp, name: NIOBSDSocket.Option(rawValue: $0)) }
                #endif
                let values = names.map { channel.getOption($0) }
                return EventLoopFuture.whenAllSucceed(values, on: loop).always { _ in pool.closeAll(); connection.value.close() }
            }
        }.get()
        #expect(options.first == 1)
        #if os(Linux)
        #expect(Array(options.dropFirst()) == [30, 10, 3])
        #endif
        await upstream.shutdown()
        try await group.shutdownGracefully()
    }
}
