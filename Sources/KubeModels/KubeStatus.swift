/// The Kubernetes `Status` object (`kind: Status`, `apiVersion: v1`) that the API server returns for errors.
public struct KubeStatus: Codable, Sendable, Hashable {
    /// Extra information about the object an error is about.
    public struct Details: Codable, Sendable, Hashable {
        /// One cause of an error, e.g. an invalid field.
        public struct Cause: Codable, Sendable, Hashable {
            /// A machine-readable reason, e.g. `FieldValueInvalid`.
            public var reason: String?
            /// A human-readable message.
            public var message: String?
            /// The field, e.g. `metadata.name`.
            public var field: String?
        }

        /// The object's name.
        public var name: String?
        /// The object's API group.
        public var group: String?
        /// The object's kind (for API errors often the plural resource name).
        public var kind: String?
        /// The object's UID.
        public var uid: String?
        /// The individual causes.
        public var causes: [Cause]?
        /// Seconds to wait before retrying, when the server says so.
        public var retryAfterSeconds: Int?
    }

    /// `Status`.
    public var kind: String?
    /// `v1`.
    public var apiVersion: String?
    /// `Success` or `Failure`.
    public var status: String?
    /// A human-readable message.
    public var message: String?
    /// A machine-readable reason, e.g. `NotFound`, `AlreadyExists`, `Forbidden`, `Expired`.
    public var reason: String?
    /// Details about the object.
    public var details: Details?
    /// The HTTP status code this status stands for.
    public var code: Int?

    /// Creates a status.
    public init(status: String? = nil, message: String? = nil, reason: String? = nil, code: Int? = nil) {
        self.kind = "Status"
        self.apiVersion = "v1"
        self.status = status
        self.message = message
        self.reason = reason
        self.code = code
    }
}
