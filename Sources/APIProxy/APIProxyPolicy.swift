import NIOCore
import NIOHTTP1
import Multicluster
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
    let clusters: ManagedClusterRouting?
    private let impersonationReview: UserImpersonationReview?
    private let passwordGrants: PasswordGrantClient?

    /// Creates the policy.
    ///
    /// - Parameters:
    ///   - configuration: path prefix and CORS rules.
    ///   - authenticator: checks bearer tokens (a ``OIDC/TokenAuthenticator``).
    ///   - metrics: where refused tokens are counted by reason; `nil` counts nothing.
    ///   - upstream: the Kubernetes API server.
    ///   - credential: the proxy's own credential for the API server.
    ///   - upstreamBasePath: a path the API server's URL carries (`https://host/k8s`), put before every path.
    ///   - clusters: forwarding to managed clusters' API proxies (on the admin cluster); `nil`: every request is
    ///     for this cluster.
    ///   - impersonationReview: `kubectl --as` for users allowed to impersonate (`--allow-user-impersonation`);
    ///     `nil`: every `Impersonate-*` header is refused.
    ///   - passwordGrants: `Authorization: Basic`, exchanged with the password grant; `nil`: only bearer tokens.
    public init(configuration: APIProxyConfiguration, authenticator: any BearerTokenAuthenticator,
                metrics: APIProxyMetrics? = nil, upstream: UpstreamEndpoint, credential: any UpstreamCredential,
                upstreamBasePath: String = "", clusters: ManagedClusterRouting? = nil,
                impersonationReview: UserImpersonationReview? = nil, passwordGrants: PasswordGrantClient? = nil) {
        self.clusters = clusters
        self.impersonationReview = impersonationReview
        self.passwordGrants = passwordGrants
        self.configuration = configuration
        self.authenticator = authenticator
        self.metrics = metrics
        self.upstream = upstream
        self.credential = credential
        var base = upstreamBasePath
        while base.hasSuffix("/") { base.removeLast() }
        self.upstreamBasePath = base
    }

    public func decide(_ head: RequestHead, connection: ConnectionInfo) -> PolicyOutcome {
        // One pass over the fields, reading in place: no client value becomes a string unless it is needed.
        var fields = RequestFields()
        head.forEachField { fields.note($0) }

        // 1. Cross-origin rules come first: a preflight is answered without authentication.
        var responseHeaders = Self.noStore
        switch cors(head.method, origins: fields.origins, head: head, connection: connection) {
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
        var target: ForwardedTarget
        do {
            target = .client(try head.withTargetBytes { bytes in
                Result { () throws(RequestTarget.Problem) in try RequestTarget.rewrite(bytes, removingPrefix: configuration.apiPathPrefix) }
            }.get())
        } catch {
            return refuse(ProxyRefusal(.badRequest, reason: "bad_path", message: "invalid request path"),
                          headers: responseHeaders)
        }

        // 2b. A managed cluster named in the target (on the admin cluster): `cluster=NAME` or `/clusters/NAME`.
        var remote: (cluster: ClusterName, target: String)?
        if let clusters {
            do {
                if let route = try clusters.route(head) {
                    switch route.destination {
                    case .local:
                        // This cluster, named: the target without the designation.
                        target = .replaced(try RequestTarget.rewrite(route.target, removingPrefix: configuration.apiPathPrefix))
                        if route.target != head.uri { clusters.countLocal() }
                    case .remote(let name):
                        remote = (name, route.target)
                    }
                }
            } catch let error as ClusterRouteError {
                return refuse(ManagedClusterRouting.proxyRefusal(error), headers: responseHeaders)
            } catch {
                return refuse(ProxyRefusal(.badRequest, reason: "bad_path", message: "invalid request path"),
                              headers: responseHeaders)
            }
        }

        // 3. No client may choose an identity: any Impersonate-* header is refused before anything is forwarded,
        //    unless `kubectl --as` is allowed and the request asks for exactly a user and groups (reviewed later).
        var requested: UserImpersonationReview.Requested?
        if fields.impersonation {
            guard impersonationReview != nil, remote == nil, let asked = Self.requestedIdentity(in: head) else {
                return refuse(ProxyRefusal(.forbidden, reason: "impersonation_header",
                                           message: "impersonation headers are not allowed"), headers: responseHeaders)
            }
            requested = asked
        }

        // 4. Exactly one bearer token.
        guard fields.authorizationCount <= 1 else {
            return refuse(ProxyRefusal(.badRequest, reason: "multiple_authorization",
                                       message: "more than one Authorization header"), headers: responseHeaders)
        }
        guard let authorization = fields.authorization else {
            return refuse(ProxyRefusal(.unauthorized, reason: "missing_token", message: "a bearer token is required",
                                       challenge: .bearer), headers: responseHeaders)
        }

        // 5. Authenticate (at once, or after a key refetch), then forward as the user.
        let answerHeaders = responseHeaders
        let forwardedTarget = target
        if remote == nil, requested == nil {
            @Sendable func decision(_ result: Result<Identity, OIDCError>) -> ProxyDecision {
                switch result {
                case .success(let identity):
                    return forward(head, target: forwardedTarget, identity: identity, connection: connection, responseHeaders: answerHeaders)
                case .failure(let error):
                    metrics?.authenticationFailed(error.metricLabel)
                    return .respond(.kubernetesStatus(ProxyRefusal(error), headers: answerHeaders))
                }
            }
            // The token is read in place: a cached one is found without a string being made of it.
            let check = head.withValue(ofFieldAt: authorization) { value in
                value.flatMap(AuthorizationCredential.bearerToken(in:)).map(authenticator.check(bytes:))
            }
            switch check {
            case .decided(let result)?: return .immediate(decision(result))
            case .deferred(let check)?: return .deferred(check.deciding(decision))
            case nil: break
            }
        }
        let credential: ClientCredential
        if head.withValue(ofFieldAt: authorization, { $0.flatMap(AuthorizationCredential.bearerToken(in:)) != nil }) {
            credential = .bearer(field: authorization)
        } else {
            switch basicCredentials(head, authorization: authorization) {
            case .success(let credentials): credential = .basic(credentials)
            case .failure(let refusal): return refuse(refusal, headers: responseHeaders)
            }
        }
        if let remote, let clusters {
            return forwardToCluster(remote.cluster, target: remote.target, head: head, credential: credential,
                                    clusters: clusters, connection: connection, responseHeaders: answerHeaders)
        }
        if let requested, let impersonationReview {
            return forwardImpersonating(requested, review: impersonationReview, target: target, head: head,
                                        credential: credential, connection: connection, responseHeaders: answerHeaders)
        }
        // Basic, for this cluster: a grant cached for these credentials is decided at once (no I/O, no hop off the
        // event loop); otherwise after the grant.
        if case .basic(let credentials) = credential, let granted = passwordGrants?.cached(credentials) {
            if let refusal = Self.invalidIdentity(granted.identity, headers: answerHeaders) { return .immediate(refusal) }
            return .immediate(forward(head, target: forwardedTarget, identity: granted.identity, connection: connection,
                                      responseHeaders: answerHeaders))
        }
        return authenticatingLater(head, credential: credential, responseHeaders: responseHeaders) { identity, _, _ in
            forward(head, target: forwardedTarget, identity: identity, connection: connection, responseHeaders: answerHeaders)
        }
    }

    /// How a client proved who it is.
    enum ClientCredential: Sendable {
        /// A bearer token, in the `Authorization` field at this index.
        case bearer(field: Int)
        /// A user name and password, for the password grant.
        case basic(BasicCredentials)
    }

    /// The Basic credentials of the `Authorization` field at `authorization`, or why it is refused: not a bearer
    /// token and not Basic (or Basic without `passwordGrants`), or Basic that cannot be read.
    private func basicCredentials(_ head: RequestHead, authorization: Int) -> Result<BasicCredentials, ProxyRefusal> {
        let notBearer = ProxyRefusal(.unauthorized, reason: "not_bearer",
                                     message: "the Authorization header must carry a bearer token", challenge: .bearer)
        guard passwordGrants != nil else { return .failure(notBearer) }
        let parsed = head.withValue(ofFieldAt: authorization) { $0.map(AuthorizationCredential.init(bytes:)) }
        guard case .basic(let encoded)? = parsed else { return .failure(notBearer) }
        guard let credentials = BasicCredentials(encoded: encoded) else {
            return .failure(ProxyRefusal(.unauthorized, reason: "malformed_basic", message: "malformed Basic credentials",
                                         challenge: .bearer))
        }
        return .success(credentials)
    }

    /// What the policy reads from a request's fields, gathered in one pass.
    private struct RequestFields {
        var authorizationCount = 0
        /// The index of the (last) `Authorization` field.
        var authorization: Int?
        var impersonation = false
        /// The `Origin` values (made only when there are any: kubectl sends none).
        var origins: [String] = []

        mutating func note(_ field: RequestHead.Field) {
            switch field.name.count {
            case 6 where field.nameEquals("origin"):
                origins.append(field.valueString)
            case 13 where field.nameEquals("authorization"):
                authorizationCount += 1
                authorization = field.index
            default:
                if field.nameHasPrefix("impersonate-") { impersonation = true }
            }
        }
    }

    /// The CORS decision; the proxy's own origin (from `Host`) is looked up only for a cross-origin request.
    private func cors(_ method: HTTPMethod, origins: [String], head: RequestHead, connection: ConnectionInfo) -> CORSPolicy.Decision {
        let requestOrigin = origins.isEmpty ? nil
            : head.firstValue(named: "host").map { (connection.isTLS ? "https://" : "http://") + $0 }
        return configuration.cors.evaluate(method: method, origins: origins, requestOrigin: requestOrigin)
    }

    /// `Cache-Control: no-store`, on every response (shared storage: copied only when a response adds to it).
    private static let noStore = HTTPHeaders([("Cache-Control", "no-store")])

    /// The client fields never forwarded: the client's credential and identity headers of an authenticating
    /// proxy (`X-Forwarded-For` is merged by the writer).
    private static let droppedClientFields = ClientFieldFilter(names: ["authorization"], prefixes: ["x-remote-", "impersonate-"])

    // MARK: Building the forwarded request

    /// How the target sent upstream relates to the client's.
    enum ForwardedTarget {
        /// The client's, changed as the rewrite says.
        case client(RequestTarget.Rewrite)
        /// Another (the client's without a cluster designation).
        case replaced(String)
    }

    private func forward(_ head: RequestHead, target: ForwardedTarget, identity: Identity, connection: ConnectionInfo,
                         responseHeaders: HTTPHeaders, impersonating requested: UserImpersonationReview.Requested? = nil) -> ProxyDecision {
        // Defence in depth: the authenticator already refuses these. A name that cannot travel exactly (a control
        // character, white space the API server would strip) must never reach the API server. Roles are not sent;
        // each group is a header of its own, so a comma travels.
        if ForwardedIdentity(identity, withRoles: false).refusal(commaSeparated: false) != nil {
            return .respond(.kubernetesStatus(ProxyRefusal(.unauthorized, reason: "invalid_identity",
                                                           message: "invalid identity in token"), headers: responseHeaders))
        }
        let user = requested?.user ?? identity.username
        let groups = requested?.groups ?? identity.groups
        let impersonation = ImpersonationFields(
            authorization: credential.authorizationHeaderValue(), user: user, groups: groups,
            additionalGroup: groups.contains(configuration.authenticatedGroup) ? nil : configuration.authenticatedGroup)
        // `kubectl --as`: who asked, for the API server's audit log.
        var extras = HTTPHeaders()
        if requested != nil {
            extras.add(name: "Impersonate-Extra-Original-User", value: identity.username)
            for group in identity.groups { extras.add(name: "Impersonate-Extra-Original-Groups", value: group) }
        }
        let prefix: String
        let dropped: Int
        switch target {
        case .client(let rewrite):
            prefix = rewrite.insertsSlash ? upstreamBasePath + "/" : upstreamBasePath
            dropped = rewrite.bytesDropped
        case .replaced(let replacement):
            prefix = upstreamBasePath + replacement
            dropped = head.targetLength
        }
        let relayed = RelayedRequestHead(
            client: head, targetPrefix: prefix, targetBytesDropped: dropped, filter: Self.droppedClientFields,
            forwardedFor: .merged(appending: connection.remoteIP), addedFields: extras, impersonation: impersonation)
        return .forward(ForwardPlan(upstream: upstream, relaying: relayed, responseHeaders: responseHeaders, logUser: identity.username))
    }

    // MARK: kubectl --as

    /// The identity a request asks for: exactly one `Impersonate-User` and any `Impersonate-Group`s, nothing else
    /// (`Impersonate-Uid`, `Impersonate-Extra-*` and groups without a user are refused), each a name that travels
    /// exactly. Nil when the request asks for anything else.
    static func requestedIdentity(in head: RequestHead) -> UserImpersonationReview.Requested? {
        var users: [String] = []
        var groups: [String] = []
        var other = false
        head.forEachField { field in
            guard field.nameHasPrefix("impersonate-") else { return }
            if field.name.count == 16, field.nameEquals("impersonate-user") {
                users.append(field.valueString)
            } else if field.name.count == 17, field.nameEquals("impersonate-group") {
                groups.append(field.valueString)
            } else {
                other = true
            }
        }
        guard !other, users.count == 1, let user = users.first, !user.isEmpty, !groups.contains(where: \.isEmpty) else { return nil }
        let requested = UserImpersonationReview.Requested(user: user, groups: groups)
        // Names that would not arrive exactly (controls, blanks at the edges) are refused, as for a token's.
        let check = ForwardedIdentity(username: user, groups: groups, roles: [])
        return check.refusal(commaSeparated: false) == nil ? requested : nil
    }

    /// `kubectl --as`: the token is checked, then reviews decide whether its user may impersonate the identity asked
    /// for; yes: forwarded as that identity, with the original user as extras; no: 403.
    private func forwardImpersonating(_ requested: UserImpersonationReview.Requested, review: UserImpersonationReview,
                                      target: ForwardedTarget, head: RequestHead, credential: ClientCredential,
                                      connection: ConnectionInfo, responseHeaders: HTTPHeaders) -> PolicyOutcome {
        authenticatingLater(head, credential: credential, responseHeaders: responseHeaders) { [self] identity, subject, _ in
            guard await review.allows(subject, toImpersonate: requested) else {
                return .respond(.kubernetesStatus(ProxyRefusal(
                    .forbidden, reason: "impersonation_denied",
                    message: "you may not impersonate user \"\(requested.user)\"\(requested.groups.isEmpty ? "" : " with these groups")"),
                    headers: responseHeaders))
            }
            return forward(head, target: target, identity: identity, connection: connection, responseHeaders: responseHeaders,
                           impersonating: requested)
        }
    }

    // MARK: Managed clusters

    /// A request for a managed cluster: the token is checked here, then whether the user may use the cluster, then
    /// the request goes with the user's own token (for a Basic client, the token its password grant returned) to
    /// that cluster's API proxy (``ManagedClusterRouting``).
    private func forwardToCluster(_ cluster: ClusterName, target: String, head: RequestHead, credential: ClientCredential,
                                  clusters: ManagedClusterRouting, connection: ConnectionInfo,
                                  responseHeaders: HTTPHeaders) -> PolicyOutcome {
        authenticatingLater(head, credential: credential, responseHeaders: responseHeaders) { identity, subject, grantedToken in
            await clusters.decide(subject, cluster: cluster, target: target, head: head, bearerToken: grantedToken,
                                  connection: connection, responseHeaders: responseHeaders, logUser: identity.username)
        }
    }

    // MARK: Decisions that need I/O after the token

    /// For requests whose decision needs I/O after the credential check (a review, a password grant): the bearer
    /// token of the `Authorization` field, or the Basic credentials exchanged with the password grant, checked off
    /// the event loop, then `next` with the identity, the subject the API server decides for (the identity as this
    /// proxy would impersonate it, `system:authenticated` included), and for a Basic client the token its grant
    /// returned. A refused credential or identity is answered here. (A cached grant is found without I/O, but the
    /// decision still hops off the event loop once; plain forwarding to this cluster skips this for cached grants.)
    private func authenticatingLater(_ head: RequestHead, credential: ClientCredential, responseHeaders: HTTPHeaders,
                                     _ next: @escaping @Sendable (Identity, AccessSubject, _ grantedToken: String?) async -> ProxyDecision) -> PolicyOutcome {
        let authenticatedGroup = configuration.authenticatedGroup
        @Sendable func proceed(_ identity: Identity, grantedToken: String?) async -> ProxyDecision {
            if let refusal = Self.invalidIdentity(identity, headers: responseHeaders) { return refusal }
            let groups = identity.groups.contains(authenticatedGroup) ? identity.groups : identity.groups + [authenticatedGroup]
            return await next(identity, AccessSubject(user: identity.username, groups: groups), grantedToken)
        }
        switch credential {
        case .bearer(let field):
            let token = head.withValue(ofFieldAt: field) { value in
                value.flatMap(AuthorizationCredential.bearerToken(in:)).map { String(decoding: $0, as: UTF8.self) }
            } ?? ""
            return .deferred(.task { [authenticator, metrics] in
                let identity: Identity
                do throws(OIDCError) {
                    switch authenticator.authenticateWithCurrentKeys(token) {
                    case .authenticated(let known): identity = known
                    case .rejected(let error): throw error
                    case .needsKeyRefresh: identity = try await authenticator.authenticate(token)
                    }
                } catch {
                    metrics?.authenticationFailed(error.metricLabel)
                    return .respond(.kubernetesStatus(ProxyRefusal(error), headers: responseHeaders))
                }
                return await proceed(identity, grantedToken: nil)
            })
        case .basic(let credentials):
            guard let passwordGrants else {
                return refuse(ProxyRefusal(.unauthorized, reason: "not_bearer",
                                           message: "the Authorization header must carry a bearer token", challenge: .bearer),
                              headers: responseHeaders)
            }
            return .deferred(.task { [metrics] in
                switch await passwordGrants.grant(credentials) {
                case .success(let granted):
                    return await proceed(granted.identity, grantedToken: granted.token)
                case .failure(let failure):
                    let refusal = failure.refusal
                    if let reason = refusal.reason { metrics?.authenticationFailed(reason) }
                    return .respond(.kubernetesStatus(refusal, headers: responseHeaders))
                }
            })
        }
    }

    // MARK: Refusals

    /// 401 for an identity the proxy would not impersonate (names it cannot put in headers), else `nil`.
    private static func invalidIdentity(_ identity: Identity, headers: HTTPHeaders) -> ProxyDecision? {
        guard ForwardedIdentity(identity, withRoles: false).refusal(commaSeparated: false) != nil else { return nil }
        return .respond(.kubernetesStatus(ProxyRefusal(.unauthorized, reason: "invalid_identity",
                                                       message: "invalid identity in token"), headers: headers))
    }

    private func refuse(_ refusal: ProxyRefusal, headers: HTTPHeaders) -> PolicyOutcome {
        .immediate(.respond(.kubernetesStatus(refusal, headers: headers)))
    }

    func corsHeaders(for head: RequestHead) -> HTTPHeaders? {
        var origins: [String] = []
        head.forEachField { if $0.name.count == 6, $0.nameEquals("origin") { origins.append($0.valueString) } }
        switch configuration.cors.evaluate(method: head.method, origins: origins, requestOrigin: nil) {
        case .proceedWithHeaders(let headers), .preflight(let headers): return headers
        case .proceed, .refuse: return nil
        }
    }
}
