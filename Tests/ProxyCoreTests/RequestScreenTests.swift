import NIOHTTP1
import Testing
@testable import ProxyCore

@Suite("Request screen: the forwarder's own checks before any policy")
struct RequestScreenTests {
    private func head(_ method: HTTPMethod, _ headers: [(String, String)]) -> RequestHead {
        RequestHead(HTTPRequestHead(version: .http1_1, method: method, uri: "/x", headers: HTTPHeaders(headers)))
    }

    private func head(_ headers: [(String, String)]) -> RequestHead {
        head(.GET, headers)
    }

    private func refusal(_ head: RequestHead) -> ClientRequestRefusal? {
        var head = head
        return RequestScreen.screen(&head)
    }

    private func screened(_ head: RequestHead) -> RequestHead? {
        var head = head
        return RequestScreen.screen(&head) == nil ? head : nil
    }

    @Test("TRACE and CONNECT are refused with 405", arguments: [HTTPMethod.TRACE, .CONNECT, .RAW(value: "trace")])
    func methods(method: HTTPMethod) {
        #expect(refusal(head(method, []))?.status == .methodNotAllowed)
    }

    @Test("framing fields are removed; the framing the decoder read stays")
    func framing() {
        #expect(screened(head([("Accept", "*/*")]))?.framing == RequestBodyFraming.none)
        let withLength = screened(head(.DELETE, [("Content-Length", "12"), ("Accept", "*/*")]))
        #expect(withLength?.framing == .length(12))
        #expect(withLength?.headers.map { $0.name } == ["Accept"])
        let chunked = screened(head(.POST, [("Transfer-Encoding", "chunked"), ("X-A", "1")]))
        #expect(chunked?.framing == .chunked)
        #expect(chunked?.headers.map { $0.name } == ["X-A"])
    }

    @Test("Connection may not name Impersonate-* (403) or framing, credential and identity headers (400)", arguments: [
        ("Impersonate-User", HTTPResponseStatus.forbidden), ("keep-alive, IMPERSONATE-GROUP", .forbidden),
        ("impersonate-extra-scopes", .forbidden), ("Content-Length", .badRequest), ("Transfer-Encoding", .badRequest),
        ("Host", .badRequest), ("authorization", .badRequest), ("Cookie", .badRequest), ("X-Remote-User", .badRequest),
        ("X-Forwarded-For", .badRequest), ("x-webauth-user", .badRequest), ("X-Proxy-Roles", .badRequest),
        ("Forwarded", .badRequest), ("Content-Length, Impersonate-User", .forbidden),
    ])
    func protectedConnectionOptions(value: String, status: HTTPResponseStatus) {
        #expect(refusal(head([("Connection", value)]))?.status == status)
        #expect(refusal(head([("Connection", "close"), ("Connection", value)]))?.status == status)
    }

    @Test("ordinary Connection options still remove what they name")
    func ordinaryConnectionOptions() {
        let result = screened(head([("Connection", "keep-alive, X-Private"), ("X-Private", "1"), ("Accept", "*/*")]))
        #expect(result?.headers.map { $0.name } == ["Accept"])
    }

    @Test("an upgrade keeps Upgrade")
    func upgrade() {
        let result = screened(head([("Connection", "Upgrade"), ("Upgrade", "SPDY/3.1")]))
        #expect(result?.headers.map { $0.name } == ["Upgrade"])
        #expect(result?.isUpgrade == true)
        #expect(result?.framing == RequestBodyFraming.none)
    }

    @Test("only Impersonate-* trailers are refused")
    func trailers() {
        #expect(RequestScreen.refusalForTrailer(named: "Impersonate-User")?.status == .forbidden)
        #expect(RequestScreen.refusalForTrailer(named: "impersonate-group") != nil)
        #expect(RequestScreen.refusalForTrailer(named: "X-Checksum") == nil)
    }
}
