import Foundation
import Testing
import VZAuthTestSupport

/// Hostile clients against both proxies, with one and two event loops: what reaches the upstream is checked byte for
/// byte, through a pooled upstream connection.
@Suite("The identity boundary: raw bytes in, exact bytes upstream")
struct IdentityBoundaryTests {
    /// A whole request that an unframed body would smuggle onto the upstream connection, ahead of the proxy's own
    /// credentials and impersonation headers for the client's next request.
    static let smuggled = "GET /api/v1/namespaces/kube-system/secrets HTTP/1.1\r\nImpersonate-User: system:admin\r\n"
        + "Impersonate-Group: system:masters\r\nX-WEBAUTH-USER: admin\r\nX-Ignore: "

    /// Sends an ordinary follow-up request on `connection` and checks that the upstream received exactly
    /// `expectedBefore` and then that request, on one connection.
    private func expectFollowUp(_ harness: BoundaryHarness, on connection: RawConnection, after expectedBefore: String,
                                answersBefore: Int) async throws {
        try await connection.send(harness.requestStart("GET", "/api/v1/namespaces/default/pods") + "Accept: application/json\r\n\r\n")
        let text = await connection.waitFor { $0.components(separatedBy: "HTTP/1.1 ").count - 1 > answersBefore }
        #expect(text.components(separatedBy: "HTTP/1.1 ").count - 1 == answersBefore + 1, "the follow-up was not answered")
        let expected = expectedBefore + harness.expectedHead("GET", "/api/v1/namespaces/default/pods", headers: [("Accept", "application/json")])
        await harness.upstream.waitFor { $0.allReceived.utf8.count >= expected.utf8.count }
        #expect(harness.upstream.allReceived == expected)
        #expect(harness.upstream.connectionCount == 1)
        #expect(harness.upstream.parsedRequests.count == (expectedBefore.isEmpty ? 1 : 2))
    }

    @Test("the issue's smuggling shape: Connection naming Content-Length is refused, and nothing of the body travels",
          arguments: everyProxyAndLoopCount)
    func connectionNamingContentLength(proxy: BoundaryHarness.Proxy, threads: Int) async throws {
        try await BoundaryHarness.with(proxy, threads: threads) { harness in
            let connection = try await harness.connect()
            try await connection.send(harness.requestStart("GET", "/api/v1/namespaces/default/pods")
                + "Content-Length: \(Self.smuggled.utf8.count)\r\nConnection: keep-alive, Content-Length\r\n\r\n" + Self.smuggled)
            let text = await connection.waitFor { $0.contains("\r\n\r\n") }
            #expect(text.hasPrefix("HTTP/1.1 400 "))
            try await expectFollowUp(harness, on: connection, after: "", answersBefore: 1)
            await connection.close()
        }
    }

    @Test("every method's body is framed by the proxy alone, with Content-Length or chunked, on a pooled connection",
          arguments: everyProxyAndLoopCount)
    func bodiesAreFramedByTheProxy(proxy: BoundaryHarness.Proxy, threads: Int) async throws {
        try await BoundaryHarness.with(proxy, threads: threads) { harness in
            // The API proxy answers OPTIONS itself (a CORS preflight; without Origin: 400); the OIDC proxy forwards it.
            let methods = ["GET", "DELETE", "PATCH", "POST", "PUT"] + (proxy == .oidc ? ["OPTIONS"] : [])
            for method in methods {
                for chunked in [false, true] {
                    harness.upstream.clear()
                    let connection = try await harness.connect()
                    let body = Self.smuggled
                    let path = "/api/v1/namespaces/default/pods/p"
                    var request = harness.requestStart(method, path) + "Content-Type: application/json\r\n"
                    if chunked {
                        let first = body.prefix(20), second = body.dropFirst(20)
                        request += "Transfer-Encoding: chunked\r\n\r\n"
                            + String(first.utf8.count, radix: 16) + ";ext=1\r\n" + first + "\r\n"
                            + String(second.utf8.count, radix: 16) + "\r\n" + second + "\r\n0\r\n\r\n"
                    } else {
                        request += "Content-Length: \(body.utf8.count)\r\n\r\n" + body
                    }
                    try await connection.send(request)
                    let text = await connection.waitFor { $0.contains("\r\n\r\nok") }
                    #expect(text.hasPrefix("HTTP/1.1 200 "), "\(method) chunked=\(chunked)")

                    let framing = chunked ? "Transfer-Encoding: chunked" : "Content-Length: \(body.utf8.count)"
                    let head = harness.expectedHead(method, path, headers: [("Content-Type", "application/json")], framing: framing)
                    await harness.upstream.waitFor { $0.parsedRequests.count == 1 }
                    let received = harness.upstream.allReceived
                    #expect(received.hasPrefix(head), "\(method) chunked=\(chunked): \(received)")
                    let afterHead = received.dropFirst(head.count)
                    if chunked {
                        let decoded = dechunk(afterHead)
                        #expect(decoded?.body == body && decoded?.rest == "", "\(method): \(afterHead)")
                    } else {
                        #expect(afterHead == body)
                    }
                    #expect(harness.upstream.parsedRequests.map(\.body) == [body])
                    await connection.close()
                }
            }
            // Every exchange above reused a pooled upstream connection (one pool per event loop).
            #expect(harness.upstream.connectionCount <= threads)
        }
    }

    @Test("the API proxy answers OPTIONS with a smuggled request in its body itself, and the body goes nowhere",
          arguments: [1, 2])
    func optionsWithBodyIsAnsweredLocally(threads: Int) async throws {
        try await BoundaryHarness.with(.api, threads: threads) { harness in
            let connection = try await harness.connect()
            try await connection.send(harness.requestStart("OPTIONS", "/api/v1/namespaces/default/pods")
                + "Content-Length: \(Self.smuggled.utf8.count)\r\n\r\n" + Self.smuggled)
            let text = await connection.waitFor { $0.contains("\r\n\r\n") }
            #expect(text.hasPrefix("HTTP/1.1 400 "), "\(text)")
            try await expectFollowUp(harness, on: connection, after: "", answersBefore: 1)
            await connection.close()
        }
    }

    @Test("TRACE and CONNECT get 405 with Allow, and nothing reaches the upstream", arguments: everyProxyAndLoopCount)
    func traceAndConnect(proxy: BoundaryHarness.Proxy, threads: Int) async throws {
        try await BoundaryHarness.with(proxy, threads: threads) { harness in
            for method in ["TRACE", "CONNECT"] {
                let connection = try await harness.connect()
                let target = method == "CONNECT" ? "127.0.0.1:22" : "/api/v1/namespaces/default/pods"
                try await connection.send(harness.requestStart(method, target) + "Content-Length: \(Self.smuggled.utf8.count)\r\n\r\n" + Self.smuggled)
                let text = await connection.waitFor { $0.contains("\r\n\r\n") }
                #expect(text.hasPrefix("HTTP/1.1 405 "), "\(method): \(text)")
                #expect(text.lowercased().contains("\r\nallow: get, head, post, put, patch, delete, options\r\n"))
                await connection.close()
            }
            try await Task.sleep(for: .milliseconds(100))
            #expect(harness.upstream.allReceived == "")
        }
    }

    @Test("a Connection header naming a protected header is refused before anything is forwarded",
          arguments: everyProxyAndLoopCount)
    func connectionNamingProtectedHeaders(proxy: BoundaryHarness.Proxy, threads: Int) async throws {
        try await BoundaryHarness.with(proxy, threads: threads) { harness in
            let cases: [(String, String)] = [
                ("Connection: Impersonate-User\r\nImpersonate-User: system:admin\r\n", "403"),
                ("Connection: keep-alive, impersonate-group\r\n", "403"),
                ("Connection: Impersonate-Uid\r\n", "403"),
                ("Connection: Transfer-Encoding\r\n", "400"),
                ("Connection: Host\r\n", "400"),
                ("Connection: Authorization\r\n", "400"),
                ("Connection: Cookie\r\nCookie: a=b\r\n", "400"),
                ("Connection: X-Remote-User\r\n", "400"),
                ("Connection: X-WEBAUTH-USER\r\n", "400"),
                ("Connection: X-Forwarded-For\r\nX-Forwarded-For: 10.0.0.1\r\n", "400"),
            ]
            for (headers, status) in cases {
                let connection = try await harness.connect()
                try await connection.send(harness.requestStart("GET", "/api/v1/namespaces/default/pods") + headers + "\r\n")
                let text = await connection.waitFor { $0.contains("\r\n\r\n") }
                #expect(text.hasPrefix("HTTP/1.1 \(status) "), "\(headers): \(text)")
                await connection.close()
            }
            try await Task.sleep(for: .milliseconds(100))
            #expect(harness.upstream.allReceived == "")
        }
    }

    @Test("request trailers never reach the upstream; Impersonate-* in a trailer gets 403", arguments: everyProxyAndLoopCount)
    func trailers(proxy: BoundaryHarness.Proxy, threads: Int) async throws {
        try await BoundaryHarness.with(proxy, threads: threads) { harness in
            let path = "/api/v1/namespaces/default/pods"
            // An innocent trailer is dropped: the upstream gets the body and an empty trailer section.
            let connection = try await harness.connect()
            try await connection.send(harness.requestStart("POST", path) + "Transfer-Encoding: chunked\r\n\r\n"
                + "3\r\nabc\r\n0\r\nX-Checksum: 1234\r\n\r\n")
            let text = await connection.waitFor { $0.contains("\r\n\r\nok") }
            #expect(text.hasPrefix("HTTP/1.1 200 "))
            let expected = harness.expectedHead("POST", path, framing: "Transfer-Encoding: chunked") + "3\r\nabc\r\n0\r\n\r\n"
            await harness.upstream.waitFor { $0.allReceived.utf8.count >= expected.utf8.count }
            #expect(harness.upstream.allReceived == expected)
            await connection.close()

            // An identity header in a trailer: 403, and the upstream never sees a complete request.
            harness.upstream.clear()
            let hostile = try await harness.connect()
            try await hostile.send(harness.requestStart("POST", path) + "Transfer-Encoding: chunked\r\n\r\n"
                + "3\r\nabc\r\n0\r\nImpersonate-User: system:admin\r\n\r\n")
            let refused = await hostile.waitFor { $0.contains("\r\n\r\n") }
            #expect(refused.hasPrefix("HTTP/1.1 403 "), "\(refused)")
            try await Task.sleep(for: .milliseconds(100))
            #expect(!harness.upstream.allReceived.contains("system:admin"))
            #expect(!harness.upstream.allReceived.contains("0\r\n\r\n"))
            #expect(harness.upstream.parsedRequests.isEmpty)
            await hostile.close()
        }
    }

    @Test("requests pipelined before garbage are answered in order, then 400 and the connection closes",
          arguments: everyProxyAndLoopCount)
    func pipelinedBeforeGarbage(proxy: BoundaryHarness.Proxy, threads: Int) async throws {
        try await BoundaryHarness.with(proxy, threads: threads) { harness in
            let connection = try await harness.connect()
            let request = harness.requestStart("GET", "/api/v1/namespaces/default/pods") + "\r\n"
            try await connection.send(request + request + "\u{1}\u{2} garbage\r\n\r\n")
            let text = await connection.waitFor { $0.contains("400 ") && $0.hasSuffix("\n") }
            let statuses = text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { String($0.prefix(3)) }
            #expect(statuses == ["200", "200", "400"], "\(text)")
            _ = await connection.waitFor(timeout: .seconds(5)) { _ in false }
            #expect(connection.isClosed)
            #expect(harness.upstream.parsedRequests.count == 2)
        }
    }

    @Test("a complete request followed by the client's half-close is answered", arguments: everyProxyAndLoopCount)
    func halfClose(proxy: BoundaryHarness.Proxy, threads: Int) async throws {
        try await BoundaryHarness.with(proxy, threads: threads) { harness in
            let connection = try await harness.connect()
            let request = harness.requestStart("GET", "/api/v1/namespaces/default/pods") + "\r\n"
            try await connection.send(request + request)
            try await connection.halfClose()
            let text = await connection.waitFor { $0.components(separatedBy: "\r\n\r\nok").count == 3 }
            #expect(text.components(separatedBy: "HTTP/1.1 200 ").count == 3, "\(text)")
            _ = await connection.waitFor(timeout: .seconds(5)) { _ in false }
            #expect(connection.isClosed)
        }
    }

    @Test("too many header fields get 431, and the answer reaches a client that is still sending",
          arguments: everyProxyAndLoopCount)
    func tooManyHeaderFields(proxy: BoundaryHarness.Proxy, threads: Int) async throws {
        try await BoundaryHarness.with(proxy, threads: threads) { harness in
            let connection = try await harness.connect()
            var request = harness.requestStart("GET", "/api/v1/namespaces/default/pods")
            for index in 0..<30_000 { request += "X-\(index % 10): v\r\n" }
            try? await connection.send(request + "\r\n")
            let text = await connection.waitFor { $0.contains("\r\n\r\n") }
            #expect(text.hasPrefix("HTTP/1.1 431 "), "\(text.prefix(200))")
            #expect(harness.upstream.allReceived == "")
        }
    }

    @Test("the head limit counts every byte received: blanks around values count too", arguments: everyProxyAndLoopCount)
    func headLimitCountsWireBytes(proxy: BoundaryHarness.Proxy, threads: Int) async throws {
        try await BoundaryHarness.with(proxy, threads: threads) { harness in
            // 100 fields whose values are mostly optional white space: about 340 KB on the wire, a few hundred
            // bytes of names and values.
            let padding = String(repeating: " ", count: 1_700)
            var oversized = harness.requestStart("GET", "/api/v1/namespaces/default/pods")
            for index in 0..<100 { oversized += "X-Pad-\(index):\(padding)v\(padding)\r\n" }
            let connection = try await harness.connect()
            try? await connection.send(oversized + "\r\n")
            let text = await connection.waitFor { $0.contains("\r\n\r\n") }
            #expect(text.hasPrefix("HTTP/1.1 431 "), "\(text.prefix(200))")

            // Just under the limit: forwarded, with the blanks gone.
            var large = harness.requestStart("GET", "/api/v1/namespaces/default/pods")
            for index in 0..<90 { large += "X-Pad-\(index):\(padding)v\(padding)\r\n" }
            let second = try await harness.connect()
            try await second.send(large + "\r\n")
            let answer = await second.waitFor { $0.contains("\r\n\r\nok") }
            #expect(answer.hasPrefix("HTTP/1.1 200 "), "\(answer.prefix(200))")
            let fields = (0..<90).map { ("X-Pad-\($0)", "v") }
            #expect(harness.upstream.allReceived == harness.expectedHead("GET", "/api/v1/namespaces/default/pods", headers: fields))
        }
    }

    @Test("names with blanks at an edge, controls or nothing in them are refused (401), and nothing reaches the upstream",
          arguments: everyProxyAndLoopCount)
    func identitiesTravelExactlyOrNotAtAll(proxy: BoundaryHarness.Proxy, threads: Int) async throws {
        try await BoundaryHarness.with(proxy, threads: threads) { harness in
            // The API proxy takes the user from `sub`, the OIDC proxy from `preferred_username`.
            let userClaim = proxy == .api ? "sub" : "preferred_username"
            var tokens: [String] = []
            for name in [" system:admin", "system:admin ", "\u{00A0}dave", "dave\u{3000}", " ", "", "da\u{0}ve", "da\u{85}ve"] {
                tokens.append(harness.token { $0[userClaim] = .string(name) })
            }
            for group in [" system:masters", "system:masters\t", "\u{2003}admins", "admins\u{2028}", " ", "a\u{7F}b"] {
                tokens.append(harness.token(groups: ["team-a", group]))
            }
            for token in tokens {
                let connection = try await harness.connect()
                try await connection.send(harness.requestStart("GET", "/api/v1/namespaces/default/pods", token: token) + "\r\n")
                let text = await connection.waitFor { $0.contains("\r\n\r\n") }
                #expect(text.hasPrefix("HTTP/1.1 401 "), "\(text.prefix(120))")
                await connection.close()
            }
            // A name with blanks inside travels as it is.
            let connection = try await harness.connect()
            try await connection.send(harness.requestStart("GET", "/api/v1/namespaces/default/pods",
                                                           token: harness.token(groups: ["Team A"])) + "\r\n")
            let text = await connection.waitFor { $0.contains("\r\n\r\nok") }
            #expect(text.hasPrefix("HTTP/1.1 200 "))
            let expected = harness.expectedHead("GET", "/api/v1/namespaces/default/pods", groups: ["Team A"])
            await harness.upstream.waitFor { $0.allReceived.utf8.count >= expected.utf8.count }
            #expect(harness.upstream.allReceived == expected)
            await connection.close()
        }
    }
}
