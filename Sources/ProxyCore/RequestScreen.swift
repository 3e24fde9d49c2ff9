public import NIOHTTP1
import ServiceSupport

/// How a request's body is framed, as the proxy read it from the client and as it frames it upstream.
///
/// The client's framing headers never travel: the proxy removes `Content-Length` and `Transfer-Encoding` from the
/// head and writes its own, from this value, so that nothing a client sends can unframe a body on the upstream
/// connection.
public enum RequestBodyFraming: Sendable, Hashable {
    /// No body (neither `Content-Length` nor `Transfer-Encoding`).
    case none
    /// Exactly this many bytes (`Content-Length`).
    case length(Int)
    /// Chunked transfer coding: the length is known only at the end.
    case chunked
}

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
    /// A head the proxy would not send exactly as it is (a control character, or a blank at the edge of a value).
    static let unsafeHead = ClientRequestRefusal(status: .badRequest, reason: "unsafe_head",
                                                 message: "the request cannot be forwarded exactly as it is")

    /// The methods the proxies serve, for the `Allow` header of a 405.
    public static let allowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
}

/// The checks every request passes before a policy sees it, whichever proxy serves it: a pure function of the head.
///
/// - `TRACE` and `CONNECT` are refused (405).
/// - Hop-by-hop headers (RFC 9110 §7.6.1) are removed, with every header `Connection` names — but a `Connection`
///   that names a header the proxy relies on is refused instead: `Impersonate-*` (403), framing, `Host`,
///   credentials, cookies and identity headers (400). Removing those would let a client unframe its body upstream or
///   hide a header from the policy's checks.
/// - The framing headers are read into a ``RequestBodyFraming`` and removed: the forwarder frames the body itself.
public enum RequestScreen {
    /// The result of screening a head.
    public struct Screened: Sendable {
        /// The head without hop-by-hop and framing headers (an upgrade keeps `Connection: Upgrade` and `Upgrade`).
        public var head: HTTPRequestHead
        /// How the client framed the body.
        public var framing: RequestBodyFraming
    }

    /// Screens `head`; `isUpgrade` keeps the headers a protocol switch needs.
    public static func screen(_ head: HTTPRequestHead, isUpgrade: Bool) -> Result<Screened, ClientRequestRefusal> {
        switch head.method {
        case .TRACE, .CONNECT: return .failure(.methodNotAllowed)
        case .RAW(let value) where value.uppercased() == "TRACE" || value.uppercased() == "CONNECT":
            return .failure(.methodNotAllowed)
        default: break
        }
        if let refusal = refusalForConnectionOptions(head.headers[canonicalForm: "connection"]) {
            return .failure(refusal)
        }
        var screened = head
        let chunked = HopByHopHeaders.strip(&screened.headers, keepUpgrade: isUpgrade)
        let lengths = screened.headers[canonicalForm: "content-length"]
        // Removing what is not there would still copy the headers (copy-on-write): a request without a body is the
        // common case.
        if !lengths.isEmpty { screened.headers.remove(name: "content-length") }
        if chunked {
            guard lengths.isEmpty else { return .failure(.ambiguousFraming) }
            return .success(Screened(head: screened, framing: .chunked))
        }
        guard let first = lengths.first else { return .success(Screened(head: screened, framing: .none)) }
        guard let length = parseLength(first), lengths.allSatisfy({ $0 == first }) else {
            return .failure(.ambiguousFraming)
        }
        return .success(Screened(head: screened, framing: .length(length)))
    }

    /// The refusal for a header name a client sends as a trailer field: `Impersonate-*` is refused like in the
    /// head; every other trailer field is dropped (no upstream ever receives request trailers).
    public static func refusalForTrailer(named name: String) -> ClientRequestRefusal? {
        HeaderNames.hasPrefix(name, lowercasePrefix: "impersonate-") ? .impersonation : nil
    }

    /// The refusal for the options of `Connection` (one per element), if one names a protected header;
    /// `Impersonate-*` outranks the others.
    static func refusalForConnectionOptions(_ options: [Substring]) -> ClientRequestRefusal? {
        var refusal: ClientRequestRefusal?
        for option in options {
            let name = String(option.trimmingSpaces())
            if HeaderNames.hasPrefix(name, lowercasePrefix: "impersonate-") { return .impersonation }
            if refusal == nil, isProtected(name) { refusal = .protectedConnectionOption }
        }
        return refusal
    }

    /// Headers the proxy reads, writes or relies on; `Connection` may not name them.
    private static func isProtected(_ name: String) -> Bool {
        for exact: StaticString in ["content-length", "transfer-encoding", "host", "authorization", "cookie", "forwarded"]
            where HeaderNames.equals(name, lowercase: exact) {
            return true
        }
        for prefix: StaticString in ["x-remote-", "x-forwarded-", "x-webauth-", "x-proxy-"]
            where HeaderNames.hasPrefix(name, lowercasePrefix: prefix) {
            return true
        }
        return false
    }

    /// A `Content-Length` value: 1*DIGIT, at most 18 digits (``ContentLengthField/Rules/relayed``).
    static func parseLength(_ text: Substring) -> Int? {
        var text = text
        return text.withUTF8 { ContentLengthField.value(of: UnsafeRawBufferPointer($0), rules: .relayed) }
    }
}
