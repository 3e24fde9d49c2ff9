import NIOCore
public import NIOHTTP1
public import ProxyCore

extension LocalResponse {
    /// `refusal` as a console's short plain-text answer, for the OIDC proxy: the message and a line feed, never
    /// cached.
    ///
    /// The headers are `Content-Type: text/plain; charset=utf-8`, `Cache-Control: no-store`, the challenge
    /// (`Bearer realm="vzauth"`; the OIDC proxy has never added `error=`), then `headers` (`Allow`, `Set-Cookie`).
    public static func consoleText(_ refusal: ProxyRefusal, headers extraHeaders: HTTPHeaders = [:]) -> LocalResponse {
        var headers = HTTPHeaders()
        headers.reserveCapacity(3 + extraHeaders.count)
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Cache-Control", value: "no-store")
        if refusal.challenge != nil {
            headers.add(name: "WWW-Authenticate", value: #"Bearer realm="vzauth""#)
        }
        headers.add(contentsOf: extraHeaders)
        return LocalResponse(status: refusal.status, headers: headers, body: ByteBuffer(string: refusal.message + "\n"),
                             logUser: refusal.logUser, refusalReason: refusal.reason)
    }
}
