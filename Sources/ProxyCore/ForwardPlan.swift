import NIOCore
public import NIOHTTP1

/// How to forward one request.
public struct ForwardPlan: Sendable {
    /// The upstream to send the request to.
    public var upstream: UpstreamEndpoint
    /// The request head to send (the forwarder adds `Host`, the framing and, for a protocol switch,
    /// `Connection: Upgrade`).
    public var request: UpstreamRequestHead
    /// Headers set on the upstream's response before it reaches the client, replacing the upstream's own of the
    /// same name (CORS, `Cache-Control`).
    public var responseHeaders: HTTPHeaders
    /// Headers appended to the upstream's response, next to the upstream's own of the same name (`Set-Cookie`).
    public var appendedResponseHeaders: HTTPHeaders
    /// The identity to record in the access log.
    public var logUser: String?

    /// A plan that sends the client's head, changed as `relayed` says.
    public init(upstream: UpstreamEndpoint, relaying relayed: RelayedRequestHead, responseHeaders: HTTPHeaders = [:],
                appendedResponseHeaders: HTTPHeaders = [:], logUser: String? = nil) {
        self.upstream = upstream
        self.request = .relayed(relayed)
        self.responseHeaders = responseHeaders
        self.appendedResponseHeaders = appendedResponseHeaders
        self.logUser = logUser
    }

    /// A plan that sends `head`, a head the policy made whole (from the head it was given, whose hop-by-hop fields
    /// are gone).
    public init(upstream: UpstreamEndpoint, head: HTTPRequestHead, responseHeaders: HTTPHeaders = [:],
                appendedResponseHeaders: HTTPHeaders = [:], logUser: String? = nil) {
        self.upstream = upstream
        self.request = .made(head)
        self.responseHeaders = responseHeaders
        self.appendedResponseHeaders = appendedResponseHeaders
        self.logUser = logUser
    }

    /// The head to send as NIO's type: method, target and fields in the order they go (without `Host` and
    /// framing). For tests and diagnostics; the forwarder writes ``request`` directly.
    public var head: HTTPRequestHead {
        switch request {
        case .made(let head): return head
        case .relayed(let relayed): return relayed.httpRequestHead
        }
    }
}

/// The head of a forwarded request: made by the policy, or the client's, relayed with changes.
public enum UpstreamRequestHead: Sendable {
    /// A head the policy built (a `String` per field; for paths where that cost does not matter).
    case made(HTTPRequestHead)
    /// The client's head, written from its bytes with the changes given.
    case relayed(RelayedRequestHead)

    /// The request method.
    public var method: HTTPMethod {
        switch self {
        case .made(let head): return head.method
        case .relayed(let relayed): return relayed.client.method
        }
    }
}

/// The client's request head as it goes upstream: its method, its target (optionally with a prefix replaced), its
/// fields byte for byte in the order received except those removed or filtered out, then the proxy's own fields.
///
/// No `String` is made for what the client sent: this is the API proxy's hot path.
public struct RelayedRequestHead: Sendable {
    /// The head as screened (hop-by-hop and framing fields removed).
    public var client: RequestHead
    /// Written before the client's target (an upstream base path, or a `/` in place of a removed prefix).
    public var targetPrefix: String
    /// How many bytes at the start of the client's target are left off (a removed prefix).
    public var targetBytesDropped: Int
    /// The client fields not sent.
    public var filter: ClientFieldFilter
    /// What becomes of the client's `X-Forwarded-For` fields.
    public var forwardedFor: ForwardedForRule
    /// Fields the proxy adds, after the client's.
    public var addedFields: HTTPHeaders
    /// Kubernetes impersonation the proxy adds last.
    public var impersonation: ImpersonationFields?

    /// Creates a relayed head.
    public init(client: RequestHead, targetPrefix: String = "", targetBytesDropped: Int = 0,
                filter: ClientFieldFilter = .none, forwardedFor: ForwardedForRule = .asSent, addedFields: HTTPHeaders = [:],
                impersonation: ImpersonationFields? = nil) {
        precondition(targetBytesDropped >= 0 && targetBytesDropped <= client.targetLength, "more target bytes dropped than sent")
        self.client = client
        self.targetPrefix = targetPrefix
        self.targetBytesDropped = targetBytesDropped
        self.filter = filter
        self.forwardedFor = forwardedFor
        self.addedFields = addedFields
        self.impersonation = impersonation
    }

    /// Calls `body` with each client field that is sent (filtered, and `X-Forwarded-For` left out when it is
    /// merged).
    func forEachSentClientField(_ body: (RequestHead.Field) -> Void) {
        client.forEachField { field in
            guard !filter.excludes(field.name) else { return }
            if case .merged = forwardedFor, field.name.count == 15, field.nameEquals("x-forwarded-for") { return }
            body(field)
        }
    }

    /// Calls `body` with the value of the merged `X-Forwarded-For` field, in pieces; returns whether there is one
    /// (nothing when not merging, or when there is neither a client value nor an address).
    @discardableResult
    func forEachForwardedForPiece(_ body: (UnsafeRawBufferPointer) -> Void) -> Bool {
        guard case .merged(let appended) = forwardedFor else { return false }
        let separator: StaticString = ", "
        var any = false
        client.forEachField { field in
            guard field.name.count == 15, field.nameEquals("x-forwarded-for") else { return }
            if any { body(UnsafeRawBufferPointer(start: separator.utf8Start, count: separator.utf8CodeUnitCount)) }
            body(field.value)
            any = true
        }
        guard var address = appended else { return any }
        if any { body(UnsafeRawBufferPointer(start: separator.utf8Start, count: separator.utf8CodeUnitCount)) }
        address.withUTF8 { body(UnsafeRawBufferPointer($0)) }
        return true
    }

    /// Whether a merged `X-Forwarded-For` field is sent.
    var sendsMergedForwardedFor: Bool {
        forEachForwardedForPiece { _ in }
    }

    /// The head as NIO's type (without `Host` and framing; for tests and diagnostics).
    public var httpRequestHead: HTTPRequestHead {
        var headers = HTTPHeaders()
        forEachSentClientField { headers.add(name: $0.nameString, value: $0.valueString) }
        var value: [UInt8] = []
        if forEachForwardedForPiece({ value.append(contentsOf: $0) }) {
            headers.add(name: "X-Forwarded-For", value: String(decoding: value, as: UTF8.self))
        }
        headers.add(contentsOf: addedFields)
        impersonation?.forEachField { headers.add(name: $0.description, value: $1) }
        let target = client.withTargetBytes { String(decoding: $0.dropFirst(targetBytesDropped), as: UTF8.self) }
        return HTTPRequestHead(version: .http1_1, method: client.method, uri: targetPrefix + target, headers: headers)
    }
}

/// Kubernetes user impersonation as a proxy adds it to a request: its own credential (`Authorization`),
/// `Impersonate-User`, and one `Impersonate-Group` per group. Kept as the values themselves (the identity's own
/// strings) and written from them, so that no header list is built per request.
public struct ImpersonationFields: Sendable {
    /// The proxy's `Authorization` value, if it has one.
    public var authorization: String?
    /// The user to impersonate.
    public var user: String
    /// The groups to impersonate, in order.
    public var groups: [String]
    /// One more group, after `groups` (the caller leaves it out when `groups` has it already).
    public var additionalGroup: String?

    /// Creates impersonation fields.
    public init(authorization: String?, user: String, groups: [String], additionalGroup: String?) {
        self.authorization = authorization
        self.user = user
        self.groups = groups
        self.additionalGroup = additionalGroup
    }

    /// Calls `body` with each field's name and value, in the order they are sent.
    func forEachField<Failure: Error>(_ body: (StaticString, String) throws(Failure) -> Void) throws(Failure) {
        if let authorization { try body("Authorization", authorization) }
        try body("Impersonate-User", user)
        for group in groups { try body("Impersonate-Group", group) }
        if let additionalGroup { try body("Impersonate-Group", additionalGroup) }
    }
}

/// What a relayed head does with the client's `X-Forwarded-For` fields.
public enum ForwardedForRule: Sendable {
    /// Sent as they came.
    case asSent
    /// Sent as one field: the client's values joined with `", "` in order, then `appending` (the address the
    /// connection came from) when known. Never more than one such field upstream.
    case merged(appending: String?)
}

/// Which client fields a relayed head leaves out, by name (ignoring case); names are given in lower case.
public struct ClientFieldFilter: Sendable {
    /// Names left out.
    public var names: [StaticString]
    /// Name prefixes left out.
    public var prefixes: [StaticString]

    /// Leaves nothing out.
    public static let none = ClientFieldFilter(names: [], prefixes: [])

    /// Creates a filter.
    public init(names: [StaticString], prefixes: [StaticString]) {
        self.names = names
        self.prefixes = prefixes
    }

    /// Whether the field named `name` is left out.
    public func excludes(_ name: UnsafeRawBufferPointer) -> Bool {
        for exact in names where HTTPSyntax.equalsIgnoringCase(name, exact) { return true }
        for prefix in prefixes where HTTPSyntax.hasPrefixIgnoringCase(name, prefix) { return true }
        return false
    }
}
