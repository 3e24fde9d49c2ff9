import Crypto
import Foundation
import NIOCore

extension BrowserClient {
    /// A WebSocket message sent or received by ``webSocketExchange(url:headers:messages:timeout:)``.
    public enum WebSocketMessage: Sendable, Hashable {
        /// A text message.
        case text(String)
        /// A binary message.
        case binary([UInt8])
        /// A ping (control frame).
        case ping([UInt8])
        /// A pong (control frame).
        case pong([UInt8])
        /// A close frame with its status code, if it carried one.
        case close(code: UInt16?)
    }

    /// Opens a WebSocket to `url` (`http`/`ws`, or `https`/`wss`) with the jar's cookies, sends one masked text
    /// frame, and returns the text message echoed back; then closes cleanly.
    ///
    /// - Throws: ``Failure/webSocketHandshakeFailed(_:)`` with the answer when it is not a valid `101` (a
    ///   proxy's 401 or login redirect, for example); ``Failure/webSocketProtocol(_:)`` when the first reply is not
    ///   a text message.
    public func webSocketEcho(url: String, headers: [(String, String)] = [], message: String, timeout: Duration? = nil) async throws -> String {
        let replies = try await self.webSocketExchange(url: url, headers: headers, messages: [.text(message)], timeout: timeout)
        guard case .text(let text) = replies.first else {
            throw Failure.webSocketProtocol("expected a text reply, got \(replies)")
        }
        return text
    }

    /// Opens a WebSocket to `url` like a browser (`Origin`, cookies from the jar, `Set-Cookie` of the `101`
    /// stored), sends each message as one masked frame and waits for one reply message after each (text, binary,
    /// pong or close; pings from the server are answered and not counted), then sends a close (1000) unless one
    /// was sent, and waits for the server's close.
    ///
    /// - Returns: The replies in order, ending with the server's `.close` if it sent one.
    public func webSocketExchange(
        url: String,
        headers: [(String, String)] = [],
        messages: [WebSocketMessage],
        timeout: Duration? = nil
    ) async throws -> [WebSocketMessage] {
        let target = try BrowserURL(url)
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let httpOrigin = (target.isSecure ? "https://" : "http://") + target.hostHeader
        var requestHeaders = self.requestHeaders(for: target, headers: headers, crossSiteNavigation: false)
        let given = Set(requestHeaders.map { $0.0.lowercased() })
        requestHeaders += [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", key),
            ("Sec-WebSocket-Version", "13"),
        ]
        if !given.contains("origin") { requestHeaders.append(("Origin", httpOrigin)) }
        var handshake = "GET \(target.requestTarget) HTTP/1.1\r\n"
        for (name, value) in requestHeaders { handshake += "\(name): \(value)\r\n" }
        handshake += "\r\n"
        let request = handshake

        let deadline = ContinuousClock.now.advanced(by: timeout ?? self.timeout)
        let tlsConfiguration = self.tlsConfiguration
        // Connecting is not under the deadline (see `exchange`): it has its own bound.
        let connection = try await Self.connect(to: target, tlsConfiguration: tlsConfiguration) { channel in
            try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
        }
        let raw = connection.channel
        let (handshakeResponse, replies) = try await withDeadline(deadline, url: url, onTimeout: { raw.close(promise: nil) }) {
            try await connection.executeThenClose { inbound, outbound -> (BrowserResponse, [WebSocketMessage]?) in
                var reader = WebSocketByteReader(iterator: inbound.makeAsyncIterator())
                try await outbound.write(ByteBuffer(string: request))
                let response = try await reader.readHTTPResponse(url: url)
                guard response.status == 101,
                      response.header("Upgrade")?.lowercased() == "websocket",
                      response.header("Sec-WebSocket-Accept") == Self.webSocketAccept(for: key)
                else {
                    return (response, nil)
                }
                var replies: [WebSocketMessage] = []
                var sentClose = false
                for message in messages {
                    try await outbound.write(Self.encodeFrame(message))
                    if case .close = message { sentClose = true }
                    guard let reply = try await Self.readMessage(&reader, outbound: outbound) else { return (response, replies) }
                    replies.append(reply)
                    if case .close = reply { return (response, replies) }
                }
                if !sentClose {
                    try await outbound.write(Self.encodeFrame(.close(code: 1000)))
                }
                while let reply = try await Self.readMessage(&reader, outbound: outbound) {
                    if case .close = reply {
                        replies.append(reply)
                        break
                    }
                }
                return (response, replies)
            }
        }
        self.storeCookies(of: handshakeResponse, for: target)
        guard let replies else {
            throw Failure.webSocketHandshakeFailed(handshakeResponse)
        }
        return replies
    }

    static func webSocketAccept(for key: String) -> String {
        Data(Insecure.SHA1.hash(data: Data((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))).base64EncodedString()
    }

    /// One masked frame carrying `message`.
    static func encodeFrame(_ message: WebSocketMessage) -> ByteBuffer {
        let opcode: UInt8
        let payload: [UInt8]
        switch message {
        case .text(let text): (opcode, payload) = (0x1, Array(text.utf8))
        case .binary(let bytes): (opcode, payload) = (0x2, bytes)
        case .close(let code): (opcode, payload) = (0x8, code.map { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } ?? [])
        case .ping(let bytes): (opcode, payload) = (0x9, bytes)
        case .pong(let bytes): (opcode, payload) = (0xA, bytes)
        }
        var buffer = ByteBuffer()
        buffer.writeInteger(0x80 | opcode)
        if payload.count < 126 {
            buffer.writeInteger(0x80 | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            buffer.writeInteger(UInt8(0x80 | 126))
            buffer.writeInteger(UInt16(payload.count))
        } else {
            buffer.writeInteger(UInt8(0x80 | 127))
            buffer.writeInteger(UInt64(payload.count))
        }
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        buffer.writeBytes(mask)
        buffer.writeBytes(payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        return buffer
    }

    /// Reads frames until one whole message (or control frame other than ping) arrived; answers pings.
    /// `nil` when the connection ended first.
    private static func readMessage(
        _ reader: inout WebSocketByteReader,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) async throws -> WebSocketMessage? {
        var fragments: [UInt8] = []
        var messageOpcode: UInt8?
        while true {
            guard let first = try await reader.read(2) else { return nil }
            let fin = first[0] & 0x80 != 0
            let opcode = first[0] & 0x0F
            let masked = first[1] & 0x80 != 0
            var length = UInt64(first[1] & 0x7F)
            if length == 126 {
                guard let bytes = try await reader.read(2) else { return nil }
                length = UInt64(bytes[0]) << 8 | UInt64(bytes[1])
            } else if length == 127 {
                guard let bytes = try await reader.read(8) else { return nil }
                length = bytes.reduce(0) { $0 << 8 | UInt64($1) }
            }
            guard length <= 64 << 20 else { throw Failure.webSocketProtocol("frame too large (\(length) bytes)") }
            var mask: [UInt8] = [0, 0, 0, 0]
            if masked {
                guard let bytes = try await reader.read(4) else { return nil }
                mask = bytes
            }
            guard var payload = try await reader.read(Int(length)) else { return nil }
            if masked { payload = payload.enumerated().map { $0.element ^ mask[$0.offset % 4] } }
            switch opcode {
            case 0x0, 0x1, 0x2:
                if opcode != 0 { messageOpcode = opcode; fragments = [] }
                guard let kind = messageOpcode else { throw Failure.webSocketProtocol("continuation without a message") }
                fragments += payload
                if fin {
                    return kind == 0x1 ? .text(String(decoding: fragments, as: UTF8.self)) : .binary(fragments)
                }
            case 0x8:
                let code = payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil
                return .close(code: code)
            case 0x9:
                try await outbound.write(Self.encodeFrame(.pong(payload)))
            case 0xA:
                return .pong(payload)
            default:
                throw Failure.webSocketProtocol("unknown opcode \(opcode)")
            }
        }
    }
}

/// Buffered reading of exact byte counts from a connection's inbound stream.
struct WebSocketByteReader {
    var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    var buffer: [UInt8] = []
    var ended = false

    /// Reads more bytes; `false` at the end of the stream.
    private mutating func fill() async throws -> Bool {
        guard !self.ended, let chunk = try await self.iterator.next() else {
            self.ended = true
            return false
        }
        self.buffer += chunk.readableBytesView
        return true
    }

    /// Exactly `count` bytes, or `nil` if the stream ended first.
    mutating func read(_ count: Int) async throws -> [UInt8]? {
        while self.buffer.count < count {
            guard try await self.fill() else { return nil }
        }
        let bytes = Array(self.buffer.prefix(count))
        self.buffer.removeFirst(count)
        return bytes
    }

    /// Everything until the stream ends.
    mutating func readToEnd() async throws -> [UInt8] {
        while try await self.fill() {}
        defer { self.buffer = [] }
        return self.buffer
    }

    /// One line without its CRLF, or `nil` at the end of the stream.
    mutating func readLine() async throws -> String? {
        while true {
            if let index = self.buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(self.buffer[..<index])
                self.buffer.removeFirst(index + 1)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            guard try await self.fill() else { return nil }
        }
    }

    /// An HTTP/1.1 response: the head, and for anything but `101` the body (by `Content-Length`, chunked, or
    /// until the connection closes).
    mutating func readHTTPResponse(url: String) async throws -> BrowserResponse {
        guard let statusLine = try await self.readLine() else { throw BrowserClient.Failure.connectionClosed(url: url) }
        let statusParts = statusLine.split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/"), let status = Int(statusParts[1]) else {
            throw BrowserClient.Failure.webSocketProtocol("bad status line \(statusLine)")
        }
        var headers: [(name: String, value: String)] = []
        while let line = try await self.readLine(), !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var response = BrowserResponse(status: status, headers: headers, body: [], url: url)
        guard status != 101 else { return response }
        if let length = response.header("Content-Length").flatMap({ Int($0) }) {
            response.body = try await self.read(length) ?? []
        } else if response.header("Transfer-Encoding")?.lowercased().contains("chunked") == true {
            while let sizeLine = try await self.readLine(),
                  let size = Int(sizeLine.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces), radix: 16), size > 0 {
                response.body += try await self.read(size) ?? []
                _ = try await self.readLine()
            }
        } else if status != 204 && status != 304 {
            response.body = try await self.readToEnd()
        }
        return response
    }
}
