import NIOCore
import NIOHTTP1
import Testing
@testable import ServiceSupport

@Suite("Request heads kept as bytes")
struct RequestHeadTests {
    /// The head the decoder makes of `text`.
    private func decoded(_ text: String) throws -> RequestHead {
        var decoder = ClientRequestDecoder()
        var buffer = ByteBuffer(string: text)
        guard case .head(let head)? = try decoder.nextPart(&buffer) else { throw ClientRequestError.truncated }
        return head
    }

    @Test("fields are read in place, names as sent, values without the blanks around them")
    func fields() throws {
        let head = try decoded("\r\nPOST /a/b?c=d HTTP/1.1\r\nHost: h\r\nX-A:\t one two \r\nx-a: 2\r\nContent-Length: 0\r\n\r\n")
        #expect(head.method == .POST)
        #expect(head.uri == "/a/b?c=d")
        #expect(head.targetLength == 8)
        #expect(head.receivedFieldCount == 4)
        var seen: [String] = []
        head.forEachField { seen.append("\($0.index):\($0.nameString)=\($0.valueString)") }
        #expect(seen == ["0:Host=h", "1:X-A=one two", "2:x-a=2", "3:Content-Length=0"])
        #expect(head.firstValue(named: "x-a") == "one two")
        #expect(head.contains(named: "host"))
        #expect(!head.contains(named: "cookie"))
        #expect(head.framing == .length(0))
        #expect(head.headers[canonicalForm: "x-a"] == ["one two", "2"])
    }

    @Test("removed fields are gone from every view, and the rest keep their order and index")
    func removal() throws {
        var head = try decoded("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nB: 4\r\n\r\n")
        let copy = head
        head.removeFields { $0.nameEquals("b") }
        var indices: [Int] = []
        head.forEachField { indices.append($0.index) }
        #expect(indices == [0, 2])
        #expect(head.headers.map(\.name) == ["A", "C"])
        head.withValue(ofFieldAt: 1) { #expect($0 == nil) }
        head.withValue(ofFieldAt: 2) { #expect($0.map { String(decoding: $0, as: UTF8.self) } == "3") }
        head.removeField(at: 0)
        #expect(head.headers.map(\.name) == ["C"])
        // A copy made before is a value of its own.
        #expect(copy.headers.map(\.name) == ["A", "B", "C", "B"])
    }

    @Test("keep-alive and protocol switches are read as NIO reads them", arguments: [
        ("GET / HTTP/1.1\r\n\r\n", true, false),
        ("GET / HTTP/1.1\r\nConnection: keep-alive, CLOSE\r\n\r\n", false, false),
        ("GET / HTTP/1.0\r\n\r\n", false, false),
        ("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true, false),
        ("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n", true, true),
        ("GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", true, false),
    ])
    func connection(text: String, keepAlive: Bool, upgrade: Bool) throws {
        let head = try decoded(text)
        #expect(head.isKeepAlive == keepAlive)
        #expect(head.isUpgrade == upgrade)
        var nio = ClientRequestDecoder()
        var buffer = ByteBuffer(string: text)
        if case .head(let parsed)? = try nio.nextPart(&buffer) {
            #expect(parsed.httpRequestHead.isKeepAlive == keepAlive)
        }
    }

    @Test("a head made from NIO's type reads back the same")
    func fromNIO() {
        let nio = HTTPRequestHead(version: .http1_1, method: .PATCH, uri: "/x?y", headers: [
            "Transfer-Encoding": "chunked", "X-Name": "Zoë", "Connection": "upgrade", "Upgrade": "h2c",
        ])
        let head = RequestHead(nio)
        #expect(head.httpRequestHead == nio)
        #expect(head.framing == .chunked)
        #expect(head.isUpgrade)
    }

    @Test("the head has a buffer of its own: the read buffer it came from can be reused")
    func ownStorage() throws {
        var decoder = ClientRequestDecoder()
        var buffer = ByteBuffer(string: "GET /one HTTP/1.1\r\nA: 1\r\n\r\n")
        guard case .head(let head)? = try decoder.nextPart(&buffer) else { throw ClientRequestError.truncated }
        buffer.clear()
        buffer.writeString("XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX")
        #expect(head.uri == "/one")
        #expect(head.firstValue(named: "a") == "1")
    }

    @Test("the decoder reuses the last head's buffer once nothing else holds it, and never changes a head in use")
    func storageReuse() throws {
        var decoder = ClientRequestDecoder()
        func next(_ text: String) throws -> RequestHead {
            var buffer = ByteBuffer(string: text)
            guard case .head(let head)? = try decoder.nextPart(&buffer) else { throw ClientRequestError.truncated }
            _ = try decoder.nextPart(&buffer)  // the end of the request
            return head
        }
        func address(_ head: RequestHead) -> UInt {
            head.storageForReuse.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        }
        var first: RequestHead? = try next("GET /first HTTP/1.1\r\nA: 1\r\n\r\n")
        let firstAddress = address(first!)
        var second: RequestHead? = try next("GET /second HTTP/1.1\r\nB: 2\r\n\r\n")
        #expect(address(second!) != firstAddress)
        #expect(first?.uri == "/first")
        #expect(first?.firstValue(named: "a") == "1")
        let secondAddress = address(second!)
        first = nil
        second = nil
        var third = try next("GET /third HTTP/1.1\r\nC: 3\r\n\r\n")
        #expect(address(third) == secondAddress)
        #expect(third.uri == "/third")
        // Removing a field from a head the decoder still keeps for reuse copies it first.
        let kept = third
        third.removeFields { $0.nameEquals("c") }
        #expect(kept.firstValue(named: "c") == "3")
        #expect(third.firstValue(named: "c") == nil)
    }
}
