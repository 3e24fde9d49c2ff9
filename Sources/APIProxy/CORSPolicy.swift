public import NIOHTTP1

/// Cross-origin rules for the console's browser requests, as the Verrazzano API proxy applied them.
///
/// - An `Origin` of `*`, or several `Origin` headers, is a bad request (400).
/// - An origin is allowed when it is not `null` and equals the proxy's public origin (or, without one configured,
///   the origin the request was addressed to) or is in the allow list.
/// - A disallowed origin may only read (GET, HEAD, OPTIONS); other methods get 403.
/// - `OPTIONS` is a preflight: it needs an `Origin` (else 400) and is answered without authentication.
public struct CORSPolicy: Sendable, Hashable {
    /// Origins allowed besides the proxy's own.
    public var allowedOrigins: Set<String>
    /// The proxy's own public origin (`https://verrazzano.example.com`), if configured.
    public var publicOrigin: String?

    /// Headers a preflight allows.
    public static let allowedHeaders = "authorization, content-type"
    /// Methods a preflight allows.
    public static let allowedMethods = "GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH"

    /// Creates a policy.
    public init(allowedOrigins: Set<String> = [], publicOrigin: String? = nil) {
        self.allowedOrigins = Set(allowedOrigins.map(Self.normalize))
        self.publicOrigin = publicOrigin.map(Self.normalize)
    }

    /// What to do about a request, from the CORS point of view.
    public enum Decision: Sendable, Equatable {
        /// Not a cross-origin matter (no `Origin`): carry on.
        case proceed
        /// Carry on and add these headers to the response (`Vary: Origin`, and for an allowed origin the
        /// `Access-Control-Allow-*` headers).
        case proceedWithHeaders(HTTPHeaders)
        /// Answer this preflight with 200 and these headers, without authentication.
        case preflight(HTTPHeaders)
        /// Refuse with this status (400 or 403) and these headers.
        case refuse(HTTPResponseStatus, HTTPHeaders, reason: String)
    }

    /// Decides for a request with `method` and `headers`, addressed to `requestOrigin` (`https://` + `Host`).
    public func evaluate(method: HTTPMethod, headers: HTTPHeaders, requestOrigin: String?) -> Decision {
        evaluate(method: method, origins: headers["origin"], requestOrigin: requestOrigin)
    }

    /// Decides for a request with `method` and the values of its `Origin` fields, addressed to `requestOrigin`.
    public func evaluate(method: HTTPMethod, origins: [String], requestOrigin: String?) -> Decision {
        guard !origins.isEmpty else {
            if method == .OPTIONS {
                return .refuse(.badRequest, [:], reason: "preflight_without_origin")
            }
            return .proceed
        }
        var responseHeaders = HTTPHeaders([("Vary", "Origin")])
        guard origins.count == 1, let origin = origins.first, origin != "*" else {
            return .refuse(.badRequest, responseHeaders, reason: "bad_origin")
        }
        let allowed = isAllowed(origin, requestOrigin: requestOrigin)
        if allowed {
            responseHeaders.add(name: "Access-Control-Allow-Origin", value: origin)
            responseHeaders.add(name: "Access-Control-Allow-Credentials", value: "true")
        }
        switch method {
        case .OPTIONS:
            if allowed {
                responseHeaders.add(name: "Access-Control-Allow-Headers", value: Self.allowedHeaders)
                responseHeaders.add(name: "Access-Control-Allow-Methods", value: Self.allowedMethods)
            }
            return .preflight(responseHeaders)
        case .GET, .HEAD:
            return .proceedWithHeaders(responseHeaders)
        default:
            return allowed ? .proceedWithHeaders(responseHeaders) : .refuse(.forbidden, responseHeaders, reason: "origin_not_allowed")
        }
    }

    private func isAllowed(_ origin: String, requestOrigin: String?) -> Bool {
        let origin = Self.normalize(origin)
        guard origin != "null", !origin.isEmpty else { return false }
        if let publicOrigin {
            if origin == publicOrigin { return true }
        } else if let requestOrigin, origin == Self.normalize(requestOrigin) {
            return true
        }
        return allowedOrigins.contains(origin)
    }

    /// Origins compare case-insensitively in scheme and host and never carry a path or a trailing slash.
    static func normalize(_ origin: String) -> String {
        var value = origin.lowercased()
        while value.hasSuffix("/") { value.removeLast() }
        return value
    }
}
