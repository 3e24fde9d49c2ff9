import NIOHTTP1
import ProxyCore
import ProxyFrontDoor

extension LocalResponse {
    /// `refusal` as the console's plain-text answer (``ProxyCore/LocalResponse/consoleText(_:headers:)``), setting
    /// `cookies` (deletions of a rejected session, the login state).
    static func consoleText(_ refusal: ProxyRefusal, cookies: [SetCookie]) -> LocalResponse {
        var headers = HTTPHeaders()
        headers.reserveCapacity(cookies.count)
        for cookie in cookies { headers.add(name: "Set-Cookie", value: cookie.headerValue) }
        return .consoleText(refusal, headers: headers)
    }

    /// `302 Found` to `location`, never cached, setting `cookies`: the login flow's and the logout's answer.
    static func redirect(to location: String, cookies: [SetCookie], logUser: String? = nil) -> LocalResponse {
        var headers = HTTPHeaders()
        headers.reserveCapacity(2 + cookies.count)
        headers.add(name: "Location", value: location)
        headers.add(name: "Cache-Control", value: "no-store")
        for cookie in cookies { headers.add(name: "Set-Cookie", value: cookie.headerValue) }
        return LocalResponse(status: .found, headers: headers, logUser: logUser)
    }
}
