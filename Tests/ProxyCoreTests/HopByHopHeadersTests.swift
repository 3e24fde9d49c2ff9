import NIOHTTP1
import Testing
@testable import ProxyCore

@Suite("Hop-by-hop headers")
struct HopByHopHeadersTests {
    private func names(_ headers: HTTPHeaders) -> [String] {
        headers.map { $0.name }
    }

    @Test("end-to-end headers are kept as they are, in order")
    func endToEndUntouched() {
        var headers = HTTPHeaders([("Accept", "application/json"), ("X-Custom", "a"), ("x-custom", "b"), ("User-Agent", "kubectl")])
        let chunked = HopByHopHeaders.strip(&headers, keepUpgrade: false)
        #expect(!chunked)
        #expect(names(headers) == ["Accept", "X-Custom", "x-custom", "User-Agent"])
        #expect(headers[canonicalForm: "x-custom"] == ["a", "b"])
    }

    @Test("the fixed hop-by-hop headers are removed, whatever their case")
    func fixedNamesRemoved() {
        var headers = HTTPHeaders([
            ("Connection", "keep-alive"), ("KEEP-ALIVE", "timeout=5"), ("Proxy-Connection", "keep-alive"), ("TE", "trailers"),
            ("Trailer", "Expires"), ("Upgrade", "websocket"), ("Proxy-Authorization", "Basic eA=="),
            ("Proxy-Authenticate", "Basic"), ("Content-Type", "application/json"),
        ])
        HopByHopHeaders.strip(&headers, keepUpgrade: false)
        #expect(names(headers) == ["Content-Type"])
    }

    @Test("headers named in Connection are removed, the others stay")
    func connectionListedRemoved() {
        var headers = HTTPHeaders([
            ("Connection", "close, X-Hop , x-other"), ("x-hop", "1"), ("X-Other", "2"), ("X-Stay", "3"), ("connection", "X-Third"),
            ("X-Third", "4"),
        ])
        HopByHopHeaders.strip(&headers, keepUpgrade: false)
        #expect(names(headers) == ["X-Stay"])
    }

    @Test("chunked transfer coding is reported and the header removed")
    func chunkedReported() {
        var headers = HTTPHeaders([("Transfer-Encoding", "gzip, Chunked"), ("Content-Type", "text/plain")])
        #expect(HopByHopHeaders.strip(&headers, keepUpgrade: false))
        #expect(names(headers) == ["Content-Type"])
    }

    @Test("an upgrade keeps Connection: Upgrade and the Upgrade header, and nothing else hop-by-hop")
    func upgradeKept() {
        var headers = HTTPHeaders([
            ("Connection", "Upgrade, X-Hop"), ("Upgrade", "SPDY/3.1"), ("X-Hop", "1"), ("X-Stream-Protocol-Version", "v4.channel.k8s.io"),
        ])
        HopByHopHeaders.strip(&headers, keepUpgrade: true)
        #expect(names(headers) == ["X-Stream-Protocol-Version", "Connection", "Upgrade"])
        #expect(headers.first(name: "connection") == "Upgrade")
        #expect(headers.first(name: "upgrade") == "SPDY/3.1")
        #expect(HopByHopHeaders.isUpgradeRequest(headers))
    }

    @Test("an Upgrade header alone is not an upgrade request")
    func upgradeNeedsConnection() {
        #expect(!HopByHopHeaders.isUpgradeRequest(HTTPHeaders([("Upgrade", "websocket")])))
        #expect(HopByHopHeaders.isUpgradeRequest(HTTPHeaders([("Upgrade", "websocket"), ("Connection", "keep-alive, UPGRADE")])))
    }

    @Test("Connection naming an end-to-end header the client also needs is still honoured (RFC 9110 §7.6.1)")
    func hostileConnectionList() {
        // A client may name any header; the proxy removes it. Authorization is rebuilt by the policy anyway.
        var headers = HTTPHeaders([("Connection", ",,, ,Authorization,"), ("Authorization", "Bearer x"), ("Accept", "*/*")])
        HopByHopHeaders.strip(&headers, keepUpgrade: false)
        #expect(names(headers) == ["Accept"])
    }
}
