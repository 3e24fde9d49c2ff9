import NIOCore
import NIOHTTP1
import OIDC
import ProxyCore
import ProxyFrontDoor
import Testing

@Suite("Front door: refusals rendered as a Kubernetes Status or a console answer")
struct ProxyRefusalRenderingTests {
    private func headerList(_ response: LocalResponse) -> [String] {
        response.headers.map { "\($0.name): \($0.value)" }
    }

    @Test("a refused token: 401 with a challenge, 403 without one for a missing role, 503 without one while the issuer is unreached")
    func fromOIDCError() {
        #expect(ProxyRefusal(OIDCError.providerNotReached) == ProxyRefusal(
            .serviceUnavailable, reason: "provider_not_reached", message: OIDCError.providerNotReached.message))
        #expect(ProxyRefusal(OIDCError.expired) == ProxyRefusal(.unauthorized, reason: "expired", message: "token expired",
                                                                 challenge: .invalidBearerToken))
        #expect(ProxyRefusal(OIDCError.missingRole) == ProxyRefusal(.forbidden, reason: "missing_role",
                                                                     message: "required role missing"))
    }

    @Test("Kubernetes Status: the API proxy's bytes, headers in order")
    func kubernetesStatus() {
        let response = LocalResponse.kubernetesStatus(ProxyRefusal(OIDCError.badSignature),
                                                      headers: ["Cache-Control": "no-store", "Vary": "Origin"])
        #expect(response.status == .unauthorized)
        #expect(response.refusalReason == "bad_signature")
        #expect(response.logUser == nil)
        // `Cache-Control` is replaced, which moves it to the end.
        #expect(headerList(response) == [
            "Vary: Origin", #"WWW-Authenticate: Bearer realm="kubernetes", error="invalid_token""#,
            "Content-Type: application/json", "Cache-Control: no-store",
        ])
        #expect(String(buffer: response.body) == #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"invalid signature","reason":"Unauthorized","code":401}"# + "\n")
    }

    @Test("Kubernetes Status: no challenge, a Cache-Control replaced, the reason from the status", arguments: [
        (HTTPResponseStatus.forbidden, "Forbidden"), (.badRequest, "BadRequest"), (.methodNotAllowed, "MethodNotAllowed"),
        (.internalServerError, "InternalError"), (.badGateway, "InternalError"), (.serviceUnavailable, "ServiceUnavailable"),
        (.gatewayTimeout, "Timeout"),
    ])
    func kubernetesReasons(_ status: HTTPResponseStatus, _ reason: String) {
        let response = LocalResponse.kubernetesStatus(ProxyRefusal(status, reason: nil, message: "no"),
                                                      headers: ["Cache-Control": "max-age=60"])
        #expect(headerList(response) == ["Content-Type: application/json", "Cache-Control: no-store"])
        #expect(response.refusalReason == nil)
        #expect(String(buffer: response.body) == #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"no","reason":"\#(reason)","code":\#(status.code)}"# + "\n")
    }

    @Test("Kubernetes Status: a missing credential asks for a bearer token without error=")
    func kubernetesChallenge() {
        let response = LocalResponse.kubernetesStatus(ProxyRefusal(.unauthorized, reason: "missing_token",
                                                                   message: "a bearer token is required", challenge: .bearer))
        #expect(response.headers["WWW-Authenticate"] == [#"Bearer realm="kubernetes""#])
    }

    @Test("Kubernetes Status: the message is escaped into valid JSON")
    func kubernetesEscaping() {
        let response = LocalResponse.kubernetesStatus(ProxyRefusal(.unauthorized, reason: nil,
                                                                   message: "a \"quoted\" \\ line\nnext\u{1}\u{7F}\u{2028}\té"))
        #expect(String(buffer: response.body).contains(#""message":"a \"quoted\" \\ line\nnext\u0001\u007f\u2028\té","#))
    }

    @Test("console text: the OIDC proxy's bytes, headers in order")
    func consoleText() {
        let refusal = ProxyRefusal(.unauthorized, reason: "no_session", message: "Authentication required", challenge: .bearer)
        let response = LocalResponse.consoleText(refusal, headers: ["Set-Cookie": "vz_session=; Max-Age=0"])
        #expect(response.status == .unauthorized)
        #expect(response.refusalReason == "no_session")
        #expect(headerList(response) == [
            "Content-Type: text/plain; charset=utf-8", "Cache-Control: no-store", #"WWW-Authenticate: Bearer realm="vzauth""#,
            "Set-Cookie: vz_session=; Max-Age=0",
        ])
        #expect(String(buffer: response.body) == "Authentication required\n")
    }

    @Test("console text: a refused token names only the realm; a user is logged; extra headers keep their place")
    func consoleTextVariants() {
        let token = LocalResponse.consoleText(ProxyRefusal(OIDCError.expired))
        #expect(headerList(token) == [
            "Content-Type: text/plain; charset=utf-8", "Cache-Control: no-store", #"WWW-Authenticate: Bearer realm="vzauth""#,
        ])
        #expect(String(buffer: token.body) == "token expired\n")
        let role = LocalResponse.consoleText(ProxyRefusal(.forbidden, reason: "missing_role", message: "The role r is required",
                                                          logUser: "alice"))
        #expect(role.logUser == "alice" && role.refusalReason == "missing_role")
        #expect(headerList(role) == ["Content-Type: text/plain; charset=utf-8", "Cache-Control: no-store"])
        let method = LocalResponse.consoleText(ProxyRefusal(.methodNotAllowed, reason: nil, message: "Back-channel logout takes POST"),
                                               headers: ["Allow": "POST"])
        #expect(headerList(method) == ["Content-Type: text/plain; charset=utf-8", "Cache-Control: no-store", "Allow: POST"])
        #expect(String(buffer: method.body) == "Back-channel logout takes POST\n")
    }
}
