public import NIOHTTP1
public import ServiceSupport

/// A request the forwarder refuses before any policy sees it, and why. Policies render it in their own format
/// (``RequestPolicy/refusalResponse(_:for:)``).
public struct ClientRequestRefusal: Error, Sendable, Hashable {
    /// The status to answer with (400, 403, 405).
    public var status: HTTPResponseStatus
    /// A short, bounded label for metrics and the access log.
    public var reason: String
    /// What the client did wrong, for the response body (never echoes client bytes).
    public var message: String

    /// Creates a refusal.
    public init(status: HTTPResponseStatus, reason: String, message: String) {
        self.status = status
        self.reason = reason
        self.message = message
    }

    /// `TRACE` would reflect the proxy's own credentials, `CONNECT` would open a tunnel: neither is proxied.
    static let methodNotAllowed = ClientRequestRefusal(status: .methodNotAllowed, reason: "method_not_allowed",
                                                       message: "TRACE and CONNECT requests are not served")
    /// An `Impersonate-*` header a client tried to hide from the proxy's checks (in `Connection` or a trailer).
    static let impersonation = ClientRequestRefusal(status: .forbidden, reason: "impersonation_header",
                                                    message: "impersonation headers are not allowed")
    /// `Connection` names a header the proxy relies on (framing, credentials, identity).
    static let protectedConnectionOption = ClientRequestRefusal(
        status: .badRequest, reason: "protected_connection_option",
        message: "the Connection header may not name framing, credential or identity headers")
    /// Framing headers that do not say one thing (several different `Content-Length` values, say).
    static let ambiguousFraming = ClientRequestRefusal(status: .badRequest, reason: "bad_framing",
                                                       message: "the request's Content-Length or Transfer-Encoding is invalid")
    /// The shutdown's grace period ended before the request was answered.
    static let shuttingDown = ClientRequestRefusal(status: .serviceUnavailable, reason: "shutting_down",
                                                   message: "the proxy is shutting down; try again")
    /// A head the proxy would not send exactly as it is (a control character, or a blank at the edge of a value).
    static let unsafeHead = ClientRequestRefusal(status: .badRequest, reason: "unsafe_head",
                                                 message: "the request cannot be forwarded exactly as it is")

    /// The methods the proxies serve, for the `Allow` header of a 405.
    public static let allowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
}

/// The checks every request passes before a policy sees it, whichever proxy serves it: a pure function of the head.
///
/// - `TRACE` and `CONNECT` are refused (405).
/// - Hop-by-hop fields (RFC 9110 §7.6.1) are removed, with every field `Connection` names — but a `Connection`
///   that names a header the proxy relies on is refused instead: `Impersonate-*` (403), framing, `Host`,
///   credentials, cookies and identity headers (400). Removing those would let a client unframe its body upstream or
///   hide a header from the policy's checks. An upgrade request keeps its `Upgrade` fields (the forwarder writes
///   `Connection: Upgrade` itself).
/// - The framing fields are removed: the decoder read them into ``RequestHead/framing`` and the forwarder frames
///   the body itself.
public enum RequestScreen {
    /// Screens `head` in place: the head the policy sees, or why the request is refused.
    public static func screen(_ head: inout RequestHead) -> ClientRequestRefusal? {
        switch head.method {
        case .TRACE, .CONNECT: return .methodNotAllowed
        case .RAW(let value) where value.uppercased() == "TRACE" || value.uppercased() == "CONNECT":
            return .methodNotAllowed
        default: break
        }
        if let refusal = refusalForConnectionOptions(of: head) { return refusal }
        HopByHopHeaders.strip(&head, keepUpgrade: head.isUpgrade)
        return nil
    }

    /// The refusal for a header name a client sends as a trailer field: `Impersonate-*` is refused like in the
    /// head; every other trailer field is dropped (no upstream ever receives request trailers).
    public static func refusalForTrailer(named name: String) -> ClientRequestRefusal? {
        HeaderNames.hasPrefix(name, lowercasePrefix: "impersonate-") ? .impersonation : nil
    }

    /// The refusal for the options of the head's `Connection` fields (one per element), if one names a protected
    /// header; `Impersonate-*` outranks the others.
    static func refusalForConnectionOptions(of head: RequestHead) -> ClientRequestRefusal? {
        var refusal: ClientRequestRefusal?
        head.forEachField { field in
            guard field.name.count == 10, field.nameEquals("connection") else { return }
            HTTPSyntax.forEachElement(of: field.value) { option in
                if HTTPSyntax.hasPrefixIgnoringCase(option, "impersonate-") {
                    refusal = .impersonation
                } else if refusal == nil, isProtected(option) {
                    refusal = .protectedConnectionOption
                }
            }
        }
        return refusal
    }

    /// Headers the proxy reads, writes or relies on; `Connection` may not name them.
    private static func isProtected(_ name: UnsafeRawBufferPointer) -> Bool {
        for exact: StaticString in ["content-length", "transfer-encoding", "host", "authorization", "cookie", "forwarded"]
            where HTTPSyntax.equalsIgnoringCase(name, exact) {
            return true
        }
        for prefix: StaticString in ["x-remote-", "x-forwarded-", "x-webauth-", "x-proxy-"]
            where HTTPSyntax.hasPrefixIgnoringCase(name, prefix) {
            return true
        }
        return false
    }
}
