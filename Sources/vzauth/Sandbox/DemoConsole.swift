import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import TextEscaping

/// The sandbox's web console: a page that shows what a console behind the OIDC proxy receives (the identity
/// headers, the forwarded ones), so a user can see single sign-on work. Plain HTTP on 127.0.0.1; only the OIDC proxy
/// talks to it.
final class DemoConsole: Sendable {
    private let channel: any Channel

    /// The port it listens on.
    var port: Int { channel.localAddress?.port ?? 0 }

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// Starts the console on `127.0.0.1` (an ephemeral port unless `port` is given).
    static func start(port: Int = 0, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> DemoConsole {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(DemoConsoleHandler())
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        return DemoConsole(channel: channel)
    }

    /// Stops listening.
    func shutdown() async {
        try? await channel.close()
    }

    /// The page for a request with `headers` to `uri`.
    static func page(method: String, uri: String, headers: HTTPHeaders) -> String {
        let shown = ["x-webauth-user", "x-forwarded-user", "x-forwarded-groups", "x-proxy-roles", "x-forwarded-for",
                     "x-forwarded-proto", "x-forwarded-host"]
        let user = headers.first(name: "X-WEBAUTH-USER") ?? "(no user: not through the OIDC proxy?)"
        var rows = ""
        for name in shown {
            let values = headers[name]
            rows += "<tr><th>\(HTMLText.escaped(name))</th><td>\(values.isEmpty ? "<em>not sent</em>" : values.map(HTMLText.escaped).joined(separator: "<br>"))</td></tr>\n"
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>vzauth sandbox console</title>
            <style>body{font-family:system-ui,sans-serif;margin:2em auto;max-width:46em;color:#222}
            table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.4em;text-align:left;vertical-align:top}
            th{width:14em;font-family:monospace}.note{color:#666;font-size:.9em}</style></head>
            <body><h1>Hello, <span id="user">\(HTMLText.escaped(user))</span></h1>
            <p>This page is the sandbox's demo console. It sits behind <code>vzauth oidc-proxy</code>, which logged you
            in with the development issuer and tells the console who you are in these headers:</p>
            <table>\(rows)</table>
            <p class="note">\(HTMLText.escaped(method)) \(HTMLText.escaped(uri))</p>
            <p><a href="/_logout">Log out</a> (ends the console session and the issuer's).</p>
            </body></html>
            """
    }

}

/// Answers every request with ``DemoConsole/page(method:uri:headers:)``.
private final class DemoConsoleHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else { return }
        let body = ByteBuffer(string: DemoConsole.page(method: head.method.rawValue, uri: head.uri, headers: head.headers))
        var headers = HTTPHeaders([("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")])
        headers.add(name: "Content-Length", value: "\(body.readableBytes)")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
