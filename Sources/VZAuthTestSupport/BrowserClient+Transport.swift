import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

extension BrowserClient {
    /// A request body: all at once, or chunked with a pause before each chunk after the first.
    enum RequestBody: Sendable {
        case whole([UInt8])
        case chunked([[UInt8]], delay: Duration)
    }

    /// One request over a fresh connection, cookies applied before and stored after.
    func perform(
        method: String,
        url: String,
        headers: [(String, String)],
        body: RequestBody?,
        timeout: Duration,
        crossSiteNavigation: Bool
    ) async throws -> BrowserResponse {
        let target = try BrowserURL(url)
        var requestHeaders = self.requestHeaders(for: target, headers: headers, crossSiteNavigation: crossSiteNavigation)
        let given = Set(requestHeaders.map { $0.0.lowercased() })
        switch body {
        case .whole(let bytes):
            if !given.contains("content-length") { requestHeaders.append(("Content-Length", String(bytes.count))) }
        case .chunked:
            if !given.contains("transfer-encoding") { requestHeaders.append(("Transfer-Encoding", "chunked")) }
        case nil:
            if ["POST", "PUT", "PATCH"].contains(method.uppercased()), !given.contains("content-length") {
                requestHeaders.append(("Content-Length", "0"))
            }
        }
        if !given.contains("connection") { requestHeaders.append(("Connection", "close")) }
        let head = HTTPRequestHead(
            version: .http1_1,
            method: HTTPMethod(rawValue: method.uppercased()),
            uri: target.requestTarget,
            headers: HTTPHeaders(requestHeaders)
        )
        let response = try await Self.exchange(
            target: target, url: url, head: head, body: body, timeout: timeout, tlsConfiguration: self.tlsConfiguration
        )
        self.storeCookies(of: response, for: target)
        return response
    }

    /// Opens a connection to `target` (TLS for `https`/`wss`), returning the raw channel.
    static func connect<Output: Sendable>(
        to target: BrowserURL,
        tlsConfiguration: TLSConfiguration?,
        configure: @escaping @Sendable (any Channel) throws -> Output
    ) async throws -> Output {
        let sslContext: NIOSSLContext? = target.isSecure
            ? try NIOSSLContext(configuration: tlsConfiguration ?? .makeClientConfiguration())
            : nil
        let serverHostname = BrowserCookieJar.isIPAddress(target.host) ? nil : target.host
        return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: target.host, port: target.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        let handler = try NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    return try configure(channel)
                }
            }
    }

    private static func exchange(
        target: BrowserURL,
        url: String,
        head: HTTPRequestHead,
        body: RequestBody?,
        timeout: Duration,
        tlsConfiguration: TLSConfiguration?
    ) async throws -> BrowserResponse {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        // Not under the deadline: a connection made after a cancelled wait would be dropped without being closed
        // (a NIOAsyncChannel must be consumed). Connecting has its own bound.
        let connection = try await Self.connect(to: target, tlsConfiguration: tlsConfiguration) { channel in
            try channel.pipeline.syncOperations.addHTTPClientHandlers()
            return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
        }
        let raw = connection.channel
        return try await withDeadline(deadline, url: url, onTimeout: { raw.close(promise: nil) }) {
            try await connection.executeThenClose { inbound, outbound in
                let started = clock.now
                // Write while reading, so that answers streamed during a streamed request are timed as they arrive.
                let writer = Task {
                    try await outbound.write(.head(head))
                    switch body {
                    case .whole(let bytes):
                        if !bytes.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes)))) }
                    case .chunked(let chunks, let delay):
                        for (index, chunk) in chunks.enumerated() {
                            if index > 0 { try await Task.sleep(for: delay) }
                            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: chunk))))
                        }
                    case nil:
                        break
                    }
                    try await outbound.write(.end(nil))
                }
                defer { writer.cancel() }
                var responseHead: HTTPResponseHead?
                var responseBody: [UInt8] = []
                var times: [Duration] = []
                for try await part in inbound {
                    switch part {
                    case .head(let head):
                        responseHead = head
                    case .body(let buffer):
                        responseBody += buffer.readableBytesView
                        times.append(clock.now - started)
                    case .end:
                        guard let responseHead else { throw Failure.connectionClosed(url: url) }
                        // A complete answer ends the exchange even if the server did not read the whole request.
                        return BrowserResponse(
                            status: Int(responseHead.status.code),
                            headers: responseHead.headers.map { ($0.name, $0.value) },
                            body: responseBody,
                            url: url,
                            bodyPartTimes: times
                        )
                    }
                }
                throw Failure.connectionClosed(url: url)
            }
        }
    }
}

/// Runs `body`, throwing ``BrowserClient/Failure/timeout(url:)`` (after calling `onTimeout`) at `deadline`.
func withDeadline<Result: Sendable>(
    _ deadline: ContinuousClock.Instant,
    url: String,
    onTimeout: @escaping @Sendable () -> Void,
    _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(until: deadline, clock: .continuous)
            onTimeout()
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let result = first else {
            throw BrowserClient.Failure.timeout(url: url)
        }
        return result
    }
}
