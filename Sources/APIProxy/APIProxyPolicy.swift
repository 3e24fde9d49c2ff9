public import NIOCore
public import NIOHTTP1
import OIDC
public import ProxyCore

/// The API proxy's decision for each request: CORS, then refusal of client-sent impersonation, then bearer
/// authentication, then a forward to the API server as the authenticated user.
public struct APIProxyPolicy: RequestPolicy {
    private let configuration: APIProxyConfiguration
    private let authenticator: any BearerTokenAuthenticator
    private let upstream: UpstreamEndpoint
    private let credential: any UpstreamCredential
    private let upstreamBasePath: String

    /// Creates the policy.
    ///
    /// - Parameters:
    ///   - configuration: path prefix and CORS rules.
    ///   - authenticator: checks bearer tokens.
    ///   - upstream: the Kubernetes API server.
    ///   - credential: the proxy's own credential for the API server.
    ///   - upstreamBasePath: a path the API server's URL carries (`https://host/k8s`), put before every path.
    public init(configuration: APIProxyConfiguration, authenticator: any BearerTokenAuthenticator,
                upstream: UpstreamEndpoint, credential: any UpstreamCredential, upstreamBasePath: String = "") {
        self.configuration = configuration
        self.authenticator = authenticator
        self.upstream = upstream
        self.credential = credential
        var base = upstreamBasePath
        while base.hasSuffix("/") { base.removeLast() }
        self.upstreamBasePath = base
    }

    public func decide(_ head: HTTPRequestHead, connection: ConnectionInfo) -> PolicyOutcome {
        // 1. Cross-origin rules come first: a preflight is answered without authentication.
        var responseHeaders = Self.noStore
        // The proxy's own origin matters only to a cross-origin request; most requests carry no Origin.
        let requestOrigin = head.headers.contains(name: "origin")
            ? head.headers.first(name: "host").map { (connection.isTLS ? "https://" : "http://") + $0 } : nil
        switch configuration.cors.evaluate(method: head.method, headers: head.headers, requestOrigin: requestOrigin) {
        case .proceed:
            break
        case .proceedWithHeaders(let headers):
            responseHeaders.add(contentsOf: headers)
        case .preflight(let headers):
            responseHeaders.add(contentsOf: headers)
            return .immediate(.respond(LocalResponse(status: .ok, headers: responseHeaders, refusalReason: nil)))
        case .refuse(let status, let headers, let reason):
            responseHeaders.add(contentsOf: headers)
            let message = status == .badRequest ? "invalid Origin header" : "origin not allowed"
            return refuse(status, reason: status == .badRequest ? "BadRequest" : "Forbidden", message: message,
                          headers: responseHeaders, refusal: reason)
        }

        // 2. The request target must be an ordinary path.
        let target: String
        do {
            target = try RequestTarget.rewrite(head.uri, removingPrefix: configuration.apiPathPrefix)
        } catch {
            return refuse(.badRequest, reason: "BadRequest", message: "invalid request path", headers: responseHeaders,
                          refusal: "bad_path")
        }

        // 3. No client may choose an identity: any Impersonate-* header is refused before anything is forwarded.
        var authorization: String?
        var authorizationCount = 0
        for (name, value) in head.headers {
            if HeaderNames.hasPrefix(name, lowercasePrefix: "impersonate-") {
                return refuse(.forbidden, reason: "Forbidden", message: "impersonation headers are not allowed",
                              headers: responseHeaders, refusal: "impersonation_header")
            }
            if HeaderNames.equals(name, lowercase: "authorization") {
                authorizationCount += 1
                authorization = value
            }
        }

        // 4. Exactly one bearer token.
        guard authorizationCount <= 1 else {
            return refuse(.badRequest, reason: "BadRequest", message: "more than one Authorization header",
                          headers: responseHeaders, refusal: "multiple_authorization")
        }
        guard let authorization, let token = Self.bearerToken(authorization) else {
            return unauthorized(message: authorization == nil ? "a bearer token is required" : "the Authorization header must carry a bearer token",
                                headers: responseHeaders, refusal: authorization == nil ? "missing_token" : "not_bearer")
        }

        // 5. Authenticate, then forward as the user.
        switch authenticator.authenticateImmediately(token) {
        case .authenticated(let identity):
            return .immediate(forward(head, target: target, identity: identity, connection: connection, responseHeaders: responseHeaders))
        case .failed(let failure):
            return .immediate(.respond(refusal(for: failure, headers: responseHeaders)))
        case .needsAsynchronousCheck:
            let responseHeaders = responseHeaders
            return .deferred(.task { [self] in
                switch await authenticator.authenticate(token) {
                case .success(let identity):
                    return forward(head, target: target, identity: identity, connection: connection, responseHeaders: responseHeaders)
                case .failure(let failure):
                    return .respond(refusal(for: failure, headers: responseHeaders))
                }
            })
        }
    }

    /// `Cache-Control: no-store`, on every response (shared storage: copied only when a response adds to it).
    private static let noStore = HTTPHeaders([("Cache-Control", "no-store")])

    public func upstreamFailureResponse(_ error: any Error, for head: HTTPRequestHead) -> LocalResponse {
        var headers = HTTPHeaders([("Cache-Control", "no-store")])
        if let cors = corsHeaders(for: head) { headers.add(contentsOf: cors) }
        if error is UpstreamConnectFailure {
            return StatusResponse.make(.serviceUnavailable, reason: "ServiceUnavailable",
                                       message: "the Kubernetes API server is unavailable", headers: headers, refusal: nil)
        }
        if let timeout = error as? UpstreamResponseTimeout {
            return StatusResponse.make(.gatewayTimeout, reason: "Timeout",
                                       message: "the Kubernetes API server did not start a response within \(timeout.timeout.nanoseconds / 1_000_000_000) s",
                                       headers: headers, refusal: nil)
        }
        return StatusResponse.make(.badGateway, reason: "InternalError",
                                   message: "the Kubernetes API server closed the connection unexpectedly", headers: headers, refusal: nil)
    }

    // MARK: Building the forwarded request

    private func forward(_ head: HTTPRequestHead, target: String, identity: ProxyIdentity, connection: ConnectionInfo,
                         responseHeaders: HTTPHeaders) -> ProxyDecision {
        // Defence in depth: the authenticator already refuses these. A name that cannot travel exactly (a control
        // character, white space the API server would strip) must never reach the API server.
        if IdentityName.problem(identity.username) != nil
            || identity.groups.contains(where: { IdentityName.problem($0) != nil }) {
            return .respond(StatusResponse.make(.unauthorized, reason: "Unauthorized", message: "invalid identity in token",
                                                headers: responseHeaders, refusal: "invalid_identity"))
        }
        var headers = HTTPHeaders()
        headers.reserveCapacity(head.headers.count + identity.groups.count + 4)
        var forwardedFor = ForwardedForChain()
        for (name, value) in head.headers {
            if HeaderNames.equals(name, lowercase: "authorization") || HeaderNames.hasPrefix(name, lowercasePrefix: "x-remote-") {
                continue
            }
            if HeaderNames.equals(name, lowercase: "x-forwarded-for") {
                forwardedFor.append(value)
                continue
            }
            headers.add(name: name, value: value)
        }
        if let value = forwardedFor.value(addingClient: connection.remoteIP) {
            headers.add(name: "X-Forwarded-For", value: value)
        }
        if let value = credential.authorizationHeaderValue() {
            headers.add(name: "Authorization", value: value)
        }
        headers.add(name: "Impersonate-User", value: identity.username)
        var sawAuthenticatedGroup = false
        for group in identity.groups {
            if group == configuration.authenticatedGroup { sawAuthenticatedGroup = true }
            headers.add(name: "Impersonate-Group", value: group)
        }
        if !sawAuthenticatedGroup {
            headers.add(name: "Impersonate-Group", value: configuration.authenticatedGroup)
        }
        let forwarded = HTTPRequestHead(version: .http1_1, method: head.method, uri: upstreamBasePath + target, headers: headers)
        return .forward(ForwardPlan(upstream: upstream, head: forwarded, responseHeaders: responseHeaders, logUser: identity.username))
    }

    // MARK: Refusals

    private func refusal(for failure: AuthenticationFailure, headers: HTTPHeaders) -> LocalResponse {
        if failure.httpStatus == 403 {
            return StatusResponse.make(.forbidden, reason: "Forbidden", message: failure.message, headers: headers,
                                       refusal: failure.reason)
        }
        var headers = headers
        headers.add(name: "WWW-Authenticate", value: #"Bearer realm="kubernetes", error="invalid_token""#)
        return StatusResponse.make(.unauthorized, reason: "Unauthorized", message: failure.message, headers: headers,
                                   refusal: failure.reason)
    }

    private func unauthorized(message: String, headers: HTTPHeaders, refusal: String) -> PolicyOutcome {
        var headers = headers
        headers.add(name: "WWW-Authenticate", value: #"Bearer realm="kubernetes""#)
        return .immediate(.respond(StatusResponse.make(.unauthorized, reason: "Unauthorized", message: message,
                                                       headers: headers, refusal: refusal)))
    }

    private func refuse(_ status: HTTPResponseStatus, reason: String, message: String, headers: HTTPHeaders,
                        refusal: String) -> PolicyOutcome {
        .immediate(.respond(StatusResponse.make(status, reason: reason, message: message, headers: headers, refusal: refusal)))
    }

    func corsHeaders(for head: HTTPRequestHead) -> HTTPHeaders? {
        switch configuration.cors.evaluate(method: head.method, headers: head.headers, requestOrigin: nil) {
        case .proceedWithHeaders(let headers), .preflight(let headers): return headers
        case .proceed, .refuse: return nil
        }
    }

    /// The token of a `Bearer` credential (``AuthorizationCredential``), or `nil`.
    static func bearerToken(_ value: String) -> String? {
        AuthorizationCredential(headerValue: value).bearerToken
    }
}
