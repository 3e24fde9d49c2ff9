import NIOHTTP1
import Testing
@testable import ProxyCore

@Suite("Hop-by-hop headers")
struct HopByHopHeadersTests {
    private func stripped(_ fields: [(String, String)], keepUpgrade: Bool = false) -> RequestHead {
        var head = RequestHead(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: HTTPHeaders(fields)))
        HopByHopHeaders.strip(&head, keepUpgrade: keepUpgrade)
        return head
    }

    private func names(_ head: RequestHead) -> [String] {
        head.headers.map { $0.name }
    }

    @Test("end-to-end headers are kept as they are, in order")
    func endToEndUntouched() {
        let head = stripped([("Accept", "application/json"), ("X-Custom", "a"), ("x-custom", "b"), ("User-Agent", "kubectl")])
        #expect(names(head) == ["Accept", "X-Custom", "x-custom", "User-Agent"])
        #expect(head.headers[canonicalForm: "x-custom"] == ["a", "b"])
    }

    @Test("the fixed hop-by-hop headers and the framing headers are removed, whatever their case")
    func fixedNamesRemoved() {
        let head = stripped([
            ("Connection", "keep-alive"), ("KEEP-ALIVE", "timeout=5"), ("Proxy-Connection", "keep-alive"), ("TE", "trailers"),
            ("Trailer", "Expires"), ("Upgrade", "websocket"), ("Proxy-Authorization", "Basic eA=="),
            ("Proxy-Authenticate", "Basic"), ("Content-Type", "application/json"), ("Transfer-Encoding", "chunked"),
            ("content-length", "3"),
        ])
        #expect(names(head) == ["Content-Type"])
    }

    @Test("headers named in Connection are removed, the others stay")
    func connectionListedRemoved() {
        let head = stripped([
            ("Connection", "close, X-Hop , x-other"), ("x-hop", "1"), ("X-Other", "2"), ("X-Stay", "3"), ("connection", "X-Third"),
            ("X-Third", "4"),
        ])
        #expect(names(head) == ["X-Stay"])
    }

    @Test("an upgrade keeps the Upgrade header and nothing else hop-by-hop (the writer adds Connection: Upgrade)")
    func upgradeKept() {
        let head = stripped([
            ("Connection", "Upgrade, X-Hop"), ("Upgrade", "SPDY/3.1"), ("X-Hop", "1"), ("X-Stream-Protocol-Version", "v4.channel.k8s.io"),
        ], keepUpgrade: true)
        #expect(names(head) == ["Upgrade", "X-Stream-Protocol-Version"])
        #expect(head.firstValue(named: "upgrade") == "SPDY/3.1")
        #expect(head.isUpgrade)
    }

    @Test("an Upgrade header alone is not an upgrade request")
    func upgradeNeedsConnection() {
        func head(_ fields: [(String, String)]) -> RequestHead {
            RequestHead(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: HTTPHeaders(fields)))
        }
        #expect(!head([("Upgrade", "websocket")]).isUpgrade)
        #expect(head([("Upgrade", "websocket"), ("Connection", "keep-alive, UPGRADE")]).isUpgrade)
    }

    @Test("Connection naming an end-to-end header the client also needs is still honoured (RFC 9110 §7.6.1)")
    func hostileConnectionList() {
        // A client may name any header; the proxy removes it. (The screen refuses protected names before this.)
        let head = stripped([("Connection", ",,, ,X-Debug,"), ("X-Debug", "1"), ("Accept", "*/*")])
        #expect(names(head) == ["Accept"])
    }
}
