import NIOCore
public import NIOHTTP1
import OIDC
public import ProxyCore
public import ProxyFrontDoor

/// The API proxy's decision for each request: CORS, then refusal of client-sent impersonation, then bearer
/// authentication, then a forward to the API server as the authenticated user.
public struct APIProxyPolicy: RequestPolicy {
    private let configuration: APIProxyConfiguration
    private let authenticator: any BearerTokenAuthenticator
    private let metrics: APIProxyMetrics?
    private let upstream: UpstreamEndpoint
    private let credential: any UpstreamCredential
    private let upstreamBasePath: String

    /// Creates the policy.
    ///
    /// - Parameters:
    ///   - configuration: path prefix and CORS rules.
    ///   - authenticator: checks bearer tokens (a ``OIDC/TokenAuthenticator``).
    ///   - metrics: where refused tokens are counted by reason; `nil` counts nothing.
    ///   - upstream: the Kubernetes API server.
    ///   - credential: the proxy's own credential for the API server.
    ///   - upstreamBasePath: a path the API server's URL carries (`https://host/k8s`), put before every path.
    public init(configuration: APIProxyConfiguration, authenticator: any BearerTokenAuthenticator,
                metrics: APIProxyMetrics? = nil, upstream: UpstreamEndpoint, credential: any UpstreamCredential,
                upstreamBasePath: String = "") {
        self.configuration = configuration
        self.authenticator = authenticator
        self.metrics = metrics
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
            return refuse(ProxyRefusal(status, reason: reason, message: message), headers: responseHeaders)
        }

        // 2. The request target must be an ordinary path.
        let target: String
        do {
            target = try RequestTarget.rewrite(head.uri, removingPrefix: configuration.apiPathPrefix)
        } catch {
            return refuse(ProxyRefusal(.badRequest, reason: "bad_path", message: "invalid request path"),
                          headers: responseHeaders)
        }

        // 3. No client may choose an identity: any Impersonate-* header is refused before anything is forwarded.
        var authorization: String?
        var authorizationCount = 0
        for (name, value) in head.headers {
            if HeaderNames.hasPrefix(name, lowercasePrefix: "impersonate-") {
                return refuse(ProxyRefusal(.forbidden, reason: "impersonation_header",
                                           message: "impersonation headers are not allowed"), headers: responseHeaders)
            }
            if HeaderNames.equals(name, lowercase: "authorization") {
                authorizationCount += 1
                authorization = value
            }
        }

        // 4. Exactly one bearer token.
        guard authorizationCount <= 1 else {
            return refuse(ProxyRefusal(.badRequest, reason: "multiple_authorization",
                                       message: "more than one Authorization header"), headers: responseHeaders)
        }
        guard let authorization else {
            return refuse(ProxyRefusal(.unauthorized, reason: "missing_token", message: "a bearer token is required",
                                       challenge: .bearer), headers: responseHeaders)
        }
        guard let token = Self.bearerToken(authorization) else {
            return refuse(ProxyRefusal(.unauthorized, reason: "not_bearer",
                                       message: "the Authorization header must carry a bearer token", challenge: .bearer),
                          headers: responseHeaders)
        }

        // 5. Authenticate (at once, or after a key refetch), then forward as the user.
        let answerHeaders = responseHeaders
        @Sendable func decision(_ result: Result<Identity, OIDCError>) -> ProxyDecision {
            switch result {
            case .success(let identity):
                return forward(head, target: target, identity: identity, connection: connection, responseHeaders: answerHeaders)
            case .failure(let error):
                metrics?.authenticationFailed(error.metricLabel)
                return .respond(.kubernetesStatus(ProxyRefusal(error), headers: answerHeaders))
            }
        }
        switch authenticator.check(token) {
        case .decided(let result): return .immediate(decision(result))
        case .deferred(let check): return .deferred(check.deciding(decision))
        }
    }

    /// `Cache-Control: no-store`, on every response (shared storage: copied only when a response adds to it).
    private static let noStore = HTTPHeaders([("Cache-Control", "no-store")])

    // MARK: Building the forwarded request

    private func forward(_ head: HTTPRequestHead, target: String, identity: Identity, connection: ConnectionInfo,
                         responseHeaders: HTTPHeaders) -> ProxyDecision {
        // Defence in depth: the authenticator already refuses these. A name that cannot travel exactly (a control
        // character, white space the API server would strip) must never reach the API server. Roles are not sent;
        // each group is a header of its own, so a comma travels.
        if ForwardedIdentity(identity, withRoles: false).refusal(commaSeparated: false) != nil {
            return .respond(.kubernetesStatus(ProxyRefusal(.unauthorized, reason: "invalid_identity",
                                                           message: "invalid identity in token"), headers: responseHeaders))
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

    private func refuse(_ refusal: ProxyRefusal, headers: HTTPHeaders) -> PolicyOutcome {
        .immediate(.respond(.kubernetesStatus(refusal, headers: headers)))
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
