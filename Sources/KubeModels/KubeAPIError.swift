/// An error from a Kubernetes API call: the server's `Status` (code, reason, message) or a client-side problem.
///
/// Server errors carry the HTTP ``code`` and the `Status` ``reason`` (`NotFound`, `AlreadyExists`, `Conflict`,
/// `Forbidden`, `Expired`, ...). Client-side problems have ``code`` 0 and a reason of `InvalidRequest`,
/// `InvalidResponse` or `ResponseTooLarge`.
public struct KubeAPIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The HTTP status code, or 0 for a problem found by the client.
    public var code: Int
    /// The `Status` reason, e.g. `NotFound`.
    public var reason: String
    /// The human-readable message.
    public var message: String
    /// The full `Status` the server returned, if it returned one.
    public var status: KubeStatus?

    /// Creates an error.
    public init(code: Int, reason: String, message: String, status: KubeStatus? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.status = status
    }

    /// The error for a `Status` object received in a response with HTTP status `httpCode`.
    public init(status: KubeStatus, httpCode: Int) {
        self.init(
            code: status.code ?? httpCode,
            reason: status.reason ?? Self.defaultReason(httpCode),
            message: status.message ?? "HTTP \(httpCode)",
            status: status
        )
    }

    /// 404: the object (or its namespace) does not exist.
    public var isNotFound: Bool { self.code == 404 }
    /// 409 `AlreadyExists`: create found an object with that name.
    public var isAlreadyExists: Bool { self.code == 409 && self.reason == "AlreadyExists" }
    /// 409 `Conflict`: an update lost an optimistic-concurrency race (stale `resourceVersion`).
    public var isConflict: Bool { self.code == 409 && self.reason != "AlreadyExists" }
    /// 401: the credential was refused.
    public var isUnauthorized: Bool { self.code == 401 }
    /// 403: authorization denied.
    public var isForbidden: Bool { self.code == 403 }
    /// 410 Gone / `Expired`: a watch or list asked for a `resourceVersion` the server no longer has.
    /// Relist and watch again from the new list's version.
    public var isGone: Bool { self.code == 410 || self.reason == "Expired" || self.reason == "Gone" }

    /// `HTTP <code> <reason>: <message>`.
    public var description: String {
        self.code == 0 ? "\(self.reason): \(self.message)" : "HTTP \(self.code) \(self.reason): \(self.message)"
    }

    package static func invalidRequest(_ message: String) -> Self {
        Self(code: 0, reason: "InvalidRequest", message: message)
    }

    package static func invalidResponse(_ message: String) -> Self {
        Self(code: 0, reason: "InvalidResponse", message: message)
    }

    package static func responseTooLarge(_ limit: Int) -> Self {
        Self(code: 0, reason: "ResponseTooLarge", message: "the response exceeds \(limit) bytes")
    }

    package static func defaultReason(_ code: Int) -> String {
        switch code {
        case 400: "BadRequest"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 405: "MethodNotAllowed"
        case 406: "NotAcceptable"
        case 409: "Conflict"
        case 410: "Gone"
        case 415: "UnsupportedMediaType"
        case 422: "Invalid"
        case 429: "TooManyRequests"
        case 500: "InternalError"
        case 503: "ServiceUnavailable"
        case 504: "Timeout"
        default: "Unknown"
        }
    }
}
