import ProxyCore
import Testing

@Suite("X-Forwarded-For chain")
struct ForwardedForChainTests {
    @Test("the client's lines in order, then the connection's address; nothing when there is neither")
    func chain() {
        var chain = ForwardedForChain()
        #expect(chain.value(addingClient: nil) == nil)
        #expect(chain.value(addingClient: "192.0.2.10") == "192.0.2.10")
        chain.append("203.0.113.1")
        chain.append("198.51.100.7, 10.0.0.1")
        #expect(chain.value(addingClient: nil) == "203.0.113.1, 198.51.100.7, 10.0.0.1")
        #expect(chain.value(addingClient: "192.0.2.10") == "203.0.113.1, 198.51.100.7, 10.0.0.1, 192.0.2.10")
    }
}
