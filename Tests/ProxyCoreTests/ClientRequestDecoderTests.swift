@testable import ServiceSupport
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import ProxyCore

@Suite("Client request decoding")
struct ClientRequestDecoderTests {
    @Test("a kubectl GET: every field in order, names with their case, values without surrounding white space")
    func kubectlGet() throws {
        try expectDecodes(kubectlGetRequestHead, as: [
            .head(.GET, "/api/v1/namespaces/verrazzano-system/pods?limit=500", [
                DecodedField("Host", "verrazzano.example.com"),
                DecodedField("User-Agent", "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46"),
                DecodedField("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"),
                DecodedField("Authorization", "Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6IjFfX2tleSJ9.eyJpc3MiOiJodHRwczovL2tleWNsb2FrLmV4YW1wbGUuY29tL3JlYWxtcy92ZXJyYXp6YW5vLXN5c3RlbSIsInN1YiI6ImFkbWluIiwiYXVkIjoidmVycmF6emFuby1wa2NlIn0.c2lnbmF0dXJlX2J5dGVzX2hlcmVfYmFzZTY0dXJs"),
                DecodedField("Kubectl-Command", "kubectl get"),
                DecodedField("Kubectl-Session", "6d1a7f7e-9b1e-4c57-b9cb-2f6a0c5e1f3d"),
                DecodedField("Accept-Encoding", "gzip"),
            ]),
            .end,
        ])
    }

    @Test("field values: OWS trimmed on both sides, inner white space and HTAB kept, empty values, UTF-8 kept")
    func fieldValues() throws {
        try expectDecodes("GET / HTTP/1.1\r\nhOsT:x\r\nX-Pad: \t a \t b \t \r\nX-Empty:\r\nX-Blank:   \r\nX-Name: Jürgen 🙂\r\n"
                          + "X-Odd: !#$%&'*+-.^_`|~\"(),/:;<=>?@[\\]{}\r\n\r\n", as: [
            .head(.GET, "/", [DecodedField("hOsT", "x"), DecodedField("X-Pad", "a \t b"), DecodedField("X-Empty", ""),
                              DecodedField("X-Blank", ""), DecodedField("X-Name", "Jürgen 🙂"),
                              DecodedField("X-Odd", "!#$%&'*+-.^_`|~\"(),/:;<=>?@[\\]{}")]),
            .end,
        ])
    }

    @Test("methods map to NIO's cases; other tokens (case-sensitive) become RAW; HTTP/1.0 is accepted")
    func methodsAndVersions() throws {
        let cases: [(String, HTTPMethod)] = [
            ("GET", .GET), ("PUT", .PUT), ("POST", .POST), ("HEAD", .HEAD), ("PATCH", .PATCH), ("DELETE", .DELETE),
            ("OPTIONS", .OPTIONS), ("CONNECT", .CONNECT), ("PROPFIND", .PROPFIND), ("TRACE", .TRACE),
            ("get", .RAW(value: "get")), ("M-SEARCH", .RAW(value: "M-SEARCH")), ("X_Y!~", .RAW(value: "X_Y!~")),
            (String(repeating: "A", count: 32), .RAW(value: String(repeating: "A", count: 32))),
        ]
        for (method, expected) in cases {
            #expect(try decodeRequests("\(method) * HTTP/1.1\r\nHost: x\r\n\r\n") == [.head(expected, "*", [DecodedField("Host", "x")]), .end])
        }
        try expectDecodes("GET /a?b=c#d HTTP/1.0\r\n\r\n", as: [.head(.GET, "/a?b=c#d", version: .http1_0, []), .end])
        try expectDecodes("OPTIONS http://h:1/~x%20y HTTP/1.1\r\n\r\n", as: [.head(.OPTIONS, "http://h:1/~x%20y", []), .end])
    }

    @Test("a Content-Length body is delivered as it arrives, then the end")
    func contentLengthBody() throws {
        try expectDecodes("POST /api/v1/namespaces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 25\r\n\r\n"
                          + "{\"metadata\":{\"name\":\"a\"}}", as: [
            .head(.POST, "/api/v1/namespaces", [DecodedField("Host", "x"), DecodedField("Content-Type", "application/json"),
                                                DecodedField("Content-Length", "25")]),
            .body("{\"metadata\":{\"name\":\"a\"}}"),
            .end,
        ])
        try expectDecodes("PUT /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n", as: [.head(.PUT, "/x", [DecodedField("Content-Length", "0")]), .end])
        // Repeated, equal values: one length (the lines are kept for the forwarder to deal with).
        try expectDecodes("PUT /x HTTP/1.1\r\nContent-Length: 3, 3\r\ncontent-length:3\r\n\r\nabc", as: [
            .head(.PUT, "/x", [DecodedField("Content-Length", "3, 3"), DecodedField("content-length", "3")]), .body("abc"), .end,
        ])
        try expectDecodes("PUT /x HTTP/1.1\r\nContent-Length: 007\r\n\r\n1234567", as: [
            .head(.PUT, "/x", [DecodedField("Content-Length", "007")]), .body("1234567"), .end,
        ])
    }

    @Test("a chunked body with extensions and trailers is de-chunked, however it is split")
    func chunkedBody() throws {
        let head = "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        let fields = [DecodedField("Host", "x"), DecodedField("Transfer-Encoding", "chunked")]
        try expectDecodes(head + "5;name=value\r\nhello\r\n1A ; a ; b = \"q \\\" ;\\\\\" ;c=d\r\n abcdefghijklmnopqrstuvwxy\r\n"
                          + "000\r\nX-Checksum: 42\r\nX-Other:  a b \r\n\r\n", as: [
            .head(.POST, "/upload", fields),
            .body("hello abcdefghijklmnopqrstuvwxy"),
            .end(trailers: [DecodedField("X-Checksum", "42"), DecodedField("X-Other", "a b")]),
        ])
        // No trailer fields: the end carries none. Upper-case hex digits and leading zeros; `Chunked` in any case.
        try expectDecodes("POST / HTTP/1.1\r\nTransfer-Encoding:  Chunked \r\n\r\n00A\r\n0123456789\r\n0\r\n\r\n", as: [
            .head(.POST, "/", [DecodedField("Transfer-Encoding", "Chunked")]), .body("0123456789"), .end,
        ])
        try expectDecodes("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", as: [
            .head(.POST, "/", [DecodedField("Transfer-Encoding", "chunked")]), .end,
        ])
        // A chunk size that fits an Int is accepted (the data is streamed as it comes).
        #expect(try decodeRequests("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\nab")
                == [.head(.POST, "/", [DecodedField("Transfer-Encoding", "chunked")]), .body("ab")])
    }

    @Test("body parts are slices of the input, never joined with framing bytes or with each other across chunks")
    func bodySlices() throws {
        let input = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n"
        let run = try runRequestDecoder([Array(input.utf8)], joinBodies: false)
        #expect(run.parts == [.head(.POST, "/", [DecodedField("Transfer-Encoding", "chunked")]), .body("hello"), .body(" world"), .end])
    }

    @Test("requests pipelined in one read are decoded in order, and bytes after them wait for more")
    func pipelining() throws {
        let input = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
            + "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
            + "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n"
            + "DELETE /d HTTP/1.0\r\nContent-Length: 1\r\n\r\nf"
            + "GET /e HTTP/1.1\r\nHo"
        try expectDecodes(input, as: [
            .head(.GET, "/a", [DecodedField("Host", "x")]), .end,
            .head(.POST, "/b", [DecodedField("Host", "x"), DecodedField("Content-Length", "3")]), .body("abc"), .end,
            .head(.POST, "/c", [DecodedField("Host", "x"), DecodedField("Transfer-Encoding", "chunked")]), .body("de"),
            .end(trailers: [DecodedField("T", "1")]),
            .head(.DELETE, "/d", version: .http1_0, [DecodedField("Content-Length", "1")]), .body("f"), .end,
        ])
        let many = String(repeating: "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n", count: 200)
        #expect(try decodeRequests(many) == Array(repeating: [.head(.GET, "/echo", [DecodedField("Host", "x")]), .end], count: 200).flatMap { $0 })
    }

    @Test("requests before garbage are delivered in order, then the error")
    func pipelinedThenGarbage() throws {
        let valid = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok"
        let expected: [DecodedRequestPart] = [
            .head(.GET, "/a", [DecodedField("Host", "x")]), .end,
            .head(.POST, "/b", [DecodedField("Host", "x"), DecodedField("Content-Length", "2")]), .body("ok"), .end,
        ]
        // All in one read, as a client pipelining them would send it.
        #expect(try decodeRequests(valid + "\u{0}garbage\r\n\r\n") == expected + [.error(.malformedRequestLine)])
        try expectRefused(valid + "GET / HTTP/1.1\r\nBad Name: 1\r\n\r\nGET / HTTP/1.1\r\n\r\n", .malformedField, after: expected)
        try expectRefused(valid + "GET / HTTP/2.0\r\n\r\n", .unsupportedVersion, after: expected)
    }

    @Test("up to eight empty lines before a request line are skipped")
    func emptyLinesBeforeRequest() throws {
        try expectDecodes("\r\n\r\nGET / HTTP/1.1\r\n\r\n\r\nGET /b HTTP/1.1\r\n\r\n", as: [
            .head(.GET, "/", []), .end, .head(.GET, "/b", []), .end,
        ])
        try expectDecodes(String(repeating: "\r\n", count: 8) + "GET / HTTP/1.1\r\n\r\n", as: [.head(.GET, "/", []), .end])
        try expectRefused(String(repeating: "\r\n", count: 9) + "GET / HTTP/1.1\r\n\r\n", .tooManyEmptyLines)
        try expectRefused("\nGET / HTTP/1.1\r\n\r\n", .malformedRequestLine)
        try expectRefused("\r\rGET / HTTP/1.1\r\n\r\n", .malformedRequestLine)
    }

    @Test("keep-alive follows the version and Connection, as with NIO's decoder")
    func keepAlive() throws {
        func head(_ text: String) throws -> RequestHead {
            var decoder = ClientRequestDecoder()
            var buffer = ByteBuffer(string: text)
            guard case .head(let head)? = try decoder.nextPart(&buffer) else { throw ClientRequestError.truncated }
            return head
        }
        #expect(try head("GET / HTTP/1.1\r\n\r\n").isKeepAlive)
        #expect(try !head("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").isKeepAlive)
        #expect(try !head("GET / HTTP/1.0\r\n\r\n").isKeepAlive)
        #expect(try head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").isKeepAlive)
        #expect(try head("GET / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n").headers["upgrade"] == ["websocket"])
    }

    // MARK: End of input

    @Test("the end of the input between requests is not an error; in a head or body it is")
    func endOfInput() throws {
        try expectDecodes("GET / HTTP/1.1\r\n\r\n", as: [.head(.GET, "/", []), .end], endOfInput: true)
        try expectDecodes("", as: [], endOfInput: true)
        try expectDecodes("GET / HTTP/1.1\r\n\r\n\r\n", as: [.head(.GET, "/", []), .end], endOfInput: true)
        let post = "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n"
        try expectDecodes(post + "hello", as: [.head(.POST, "/", [DecodedField("Content-Length", "5")]), .body("hello"), .end],
                          endOfInput: true)

        try expectRefused("GET / HTTP/1.1\r\nHost: x\r\n", .truncated, endOfInput: true)
        try expectRefused("G", .truncated, endOfInput: true)
        try expectRefused(post + "hel", .truncated, after: [.head(.POST, "/", [DecodedField("Content-Length", "5")]), .body("hel")],
                          endOfInput: true)
        try expectRefused(post, .truncated, after: [.head(.POST, "/", [DecodedField("Content-Length", "5")])], endOfInput: true)
        let chunked = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        let chunkedHead = DecodedRequestPart.head(.POST, "/", [DecodedField("Transfer-Encoding", "chunked")])
        try expectRefused(chunked + "5\r\nhel", .truncated, after: [chunkedHead, .body("hel")], endOfInput: true)
        try expectRefused(chunked + "5\r\nhello\r\n", .truncated, after: [chunkedHead, .body("hello")], endOfInput: true)
        try expectRefused(chunked + "0\r\nX: 1\r\n", .truncated, after: [chunkedHead], endOfInput: true)
        try expectRefused("GET / HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n", .truncated, after: [.head(.GET, "/", []), .end],
                          endOfInput: true)
    }

    // MARK: Upgrades

    @Test("after an upgrade request the decoder stops; what follows is handed on as bytes when it is removed")
    func upgradeLeftovers() throws {
        let head = "GET /api/v1/namespaces/a/pods/b/exec?command=sh HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
            + "Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n"
        let fields = [DecodedField("Host", "x"), DecodedField("Connection", "Upgrade"), DecodedField("Upgrade", "SPDY/3.1"),
                      DecodedField("X-Stream-Protocol-Version", "v4.channel.k8s.io")]
        let after = "\u{80}\u{0}\u{0}\u{3}GET / HTTP/1.1\r\n\r\n not HTTP at all \r\n\n"
        // Without removal the bytes stay in the decoder.
        try expectDecodes(head + after, as: [.head(.GET, "/api/v1/namespaces/a/pods/b/exec?command=sh", fields), .end])
        try expectDecodes(head + after, as: [.head(.GET, "/api/v1/namespaces/a/pods/b/exec?command=sh", fields), .end, .bytes(after)],
                          remove: true)
        // Nothing after the head: nothing handed on. At the end of the input: nothing is wrong.
        try expectDecodes(head, as: [.head(.GET, "/api/v1/namespaces/a/pods/b/exec?command=sh", fields), .end], remove: true)
        try expectDecodes(head + after, as: [.head(.GET, "/api/v1/namespaces/a/pods/b/exec?command=sh", fields), .end],
                          endOfInput: true)
    }

    @Test("an upgrade needs `upgrade` in a Connection list (any line, any case) and an Upgrade field")
    func upgradeDetection() throws {
        let next = "GET /next HTTP/1.1\r\n\r\n"
        try expectDecodes("GET / HTTP/1.1\r\nConnection: keep-alive\r\nconnection: x ,UPGRADE\r\nupgrade: websocket\r\n\r\n" + next, as: [
            .head(.GET, "/", [DecodedField("Connection", "keep-alive"), DecodedField("connection", "x ,UPGRADE"),
                              DecodedField("upgrade", "websocket")]),
            .end, .bytes(next),
        ], remove: true)
        // Either half alone is an ordinary request: the next one is decoded.
        try expectDecodes("GET / HTTP/1.1\r\nConnection: upgrade\r\n\r\n" + next, as: [
            .head(.GET, "/", [DecodedField("Connection", "upgrade")]), .end, .head(.GET, "/next", []), .end,
        ])
        try expectDecodes("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgraded\r\n\r\n" + next, as: [
            .head(.GET, "/", [DecodedField("Upgrade", "websocket"), DecodedField("Connection", "upgraded")]), .end,
            .head(.GET, "/next", []), .end,
        ])
        // An upgrade request with a body: the body is decoded, then the decoder stops.
        try expectDecodes("POST / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: h2c\r\nContent-Length: 2\r\n\r\nab" + next, as: [
            .head(.POST, "/", [DecodedField("Connection", "upgrade"), DecodedField("Upgrade", "h2c"), DecodedField("Content-Length", "2")]),
            .body("ab"), .end, .bytes(next),
        ], remove: true)
    }

    @Test("the proxy's byte relay switch removes the decoder and gets the bytes behind the upgrade request")
    func relaySwitch() throws {
        let client = EmbeddedChannel()
        let upstream = EmbeddedChannel()
        defer {
            _ = try? client.finish(acceptAlreadyClosed: true)
            _ = try? upstream.finish(acceptAlreadyClosed: true)
        }
        try client.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try upstream.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 2)).wait()
        let decoder = ByteToMessageHandler(ClientRequestDecoder())
        try client.pipeline.syncOperations.addHandler(decoder)
        try client.writeInbound(ByteBuffer(string: "GET /exec HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\nearly"))
        try client.writeInbound(ByteBuffer(string: " frames"))
        guard case .head(let head)? = try client.readInbound(as: HTTPServerRequestPart.self) else {
            Issue.record("no head")
            return
        }
        #expect(head.uri == "/exec")
        guard case .end(nil)? = try client.readInbound(as: HTTPServerRequestPart.self) else {
            Issue.record("no end")
            return
        }
        #expect(try client.readInbound(as: HTTPServerRequestPart.self) == nil)

        let (clientGlue, upstreamGlue) = GlueHandler.matchedPair()
        try upstream.pipeline.syncOperations.addHandler(upstreamGlue)
        try ByteRelaySwitch.switchToRelay(client, glue: clientGlue, handlers: [], decoder: decoder)
        client.embeddedEventLoop.run()
        client.pipeline.fireChannelReadComplete()
        try client.writeInbound(ByteBuffer(string: " later"))
        client.pipeline.fireChannelReadComplete()
        var relayed = ""
        while let buffer = try upstream.readOutbound(as: ByteBuffer.self) { relayed += String(buffer: buffer) }
        #expect(relayed == "early frames later")
        #expect((try? client.pipeline.syncOperations.handler(type: ByteToMessageHandler<ClientRequestDecoder>.self)) == nil)
    }
}
