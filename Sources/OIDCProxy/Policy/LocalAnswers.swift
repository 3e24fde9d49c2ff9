import Foundation
import NIOCore
import NIOHTTP1
import ProxyCore

/// The answers the OIDC proxy makes itself: short plain-text bodies, never a token, never cached.
enum LocalAnswers {
    /// A plain-text answer with `Cache-Control: no-store`, plus `cookies`.
    static func text(_ status: HTTPResponseStatus, _ message: String, cookies: [SetCookie] = [],
                     extraHeaders: [(String, String)] = [], logUser: String? = nil, refusal: String? = nil) -> LocalResponse {
        var headers = HTTPHeaders()
        headers.reserveCapacity(3 + cookies.count + extraHeaders.count)
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Cache-Control", value: "no-store")
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        for cookie in cookies { headers.add(name: "Set-Cookie", value: cookie.headerValue) }
        return LocalResponse(status: status, headers: headers, body: ByteBuffer(string: message + "\n"),
                             logUser: logUser, refusalReason: refusal)
    }

    /// `302 Found` to `location`, with `cookies`.
    static func redirect(to location: String, cookies: [SetCookie], logUser: String? = nil) -> LocalResponse {
        var headers = HTTPHeaders()
        headers.reserveCapacity(2 + cookies.count)
        headers.add(name: "Location", value: location)
        headers.add(name: "Cache-Control", value: "no-store")
        for cookie in cookies { headers.add(name: "Set-Cookie", value: cookie.headerValue) }
        return LocalResponse(status: .found, headers: headers, logUser: logUser)
    }

    /// `401` for a request without an acceptable login, telling machine clients how to authenticate.
    static func unauthorized(_ message: String, reason: String, cookies: [SetCookie] = []) -> LocalResponse {
        text(.unauthorized, message, cookies: cookies,
             extraHeaders: [("WWW-Authenticate", #"Bearer realm="vzauth""#)], refusal: reason)
    }
}
