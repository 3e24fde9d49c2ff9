import KubeModels
public import Foundation

/// A `SubjectAccessReview` (`authorization.k8s.io/v1`): asks the API server whether a user (with groups) may do
/// something, without acting as that user. The proxy's own credential needs `create` on `subjectaccessreviews`
/// (ClusterRole `system:auth-delegator` grants it).
///
/// Building the body and reading the answer are pure; ``ClusterAccessCheck`` sends it.
///
/// ```json
/// {"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview",
///  "spec":{"user":"alice","groups":["admins","system:authenticated"],
///          "resourceAttributes":{"group":"clusters.verrazzano.io","version":"v1alpha1",
///            "resource":"verrazzanomanagedclusters","namespace":"verrazzano-mc","name":"managed1","verb":"get"}}}
/// ```
public struct SubjectAccessReview: Codable, Sendable, Hashable {
    /// The path reviews are created at (`POST`).
    public static let path = "/apis/authorization.k8s.io/v1/subjectaccessreviews"

    /// What is asked about: a verb on a resource (optionally one object).
    public struct ResourceAttributes: Codable, Sendable, Hashable {
        /// The namespace, `nil` for all namespaces or cluster-scoped resources.
        public var namespace: String?
        /// The verb, e.g. `get`.
        public var verb: String
        /// The API group (empty for core).
        public var group: String
        /// The API version.
        public var version: String?
        /// The plural resource.
        public var resource: String
        /// The subresource, if any.
        public var subresource: String?
        /// The object name, `nil` for all.
        public var name: String?

        /// Creates attributes.
        public init(namespace: String?, verb: String, group: String, version: String?, resource: String,
                    subresource: String? = nil, name: String?) {
            self.namespace = namespace
            self.verb = verb
            self.group = group
            self.version = version
            self.resource = resource
            self.subresource = subresource
            self.name = name
        }
    }

    /// Who asks for what.
    public struct Spec: Codable, Sendable, Hashable {
        /// The user name.
        public var user: String
        /// The user's UID, if known.
        public var uid: String?
        /// The user's groups.
        public var groups: [String]
        /// What is asked about.
        public var resourceAttributes: ResourceAttributes

        /// Creates a spec.
        public init(user: String, uid: String? = nil, groups: [String], resourceAttributes: ResourceAttributes) {
            self.user = user
            self.uid = uid
            self.groups = groups
            self.resourceAttributes = resourceAttributes
        }
    }

    /// The API server's answer.
    public struct Status: Codable, Sendable, Hashable {
        /// Whether the action is allowed.
        public var allowed: Bool
        /// Whether an authorizer explicitly denied it (then ``allowed`` is false too).
        public var denied: Bool?
        /// Why, for logs.
        public var reason: String?
        /// An authorizer's error, for logs (the action is still not allowed).
        public var evaluationError: String?

        /// Creates a status.
        public init(allowed: Bool, denied: Bool? = nil, reason: String? = nil, evaluationError: String? = nil) {
            self.allowed = allowed
            self.denied = denied
            self.reason = reason
            self.evaluationError = evaluationError
        }

        enum CodingKeys: String, CodingKey { case allowed, denied, reason, evaluationError }

        /// Decodes a status; a missing `allowed` is `false` (as the API server's own client reads it).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.allowed = try container.decodeIfPresent(Bool.self, forKey: .allowed) ?? false
            self.denied = try container.decodeIfPresent(Bool.self, forKey: .denied)
            self.reason = try container.decodeIfPresent(String.self, forKey: .reason)
            self.evaluationError = try container.decodeIfPresent(String.self, forKey: .evaluationError)
        }
    }

    private struct Response: Decodable {
        var status: Status?
    }

    /// `authorization.k8s.io/v1`.
    public var apiVersion: String = "authorization.k8s.io/v1"
    /// `SubjectAccessReview`.
    public var kind: String = "SubjectAccessReview"
    /// The question.
    public var spec: Spec
    /// The answer (in responses only).
    public var status: Status?

    /// Creates a review asking `spec`.
    public init(spec: Spec) {
        self.spec = spec
    }

    /// Whether `subject` may `get` the `VerrazzanoManagedCluster` `cluster` in `namespace`.
    public static func clusterAccess(
        _ subject: AccessSubject, cluster: ClusterName, namespace: String
    ) -> SubjectAccessReview {
        let resource = VerrazzanoManagedCluster.resource
        return SubjectAccessReview(spec: Spec(
            user: subject.user, uid: subject.uid, groups: subject.groups,
            resourceAttributes: ResourceAttributes(
                namespace: namespace, verb: "get", group: resource.group, version: resource.version,
                resource: resource.resource, name: cluster.rawValue)))
    }

    /// The request body: compact JSON, keys sorted.
    public func encodedBody() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// The answer in a response body.
    ///
    /// Only `status` is read (the API server echoes the spec, which is not checked again).
    ///
    /// - Throws: `DecodingError` for a body that is not a JSON object with a `status` object.
    public static func status(fromResponse body: some Collection<UInt8>) throws -> Status {
        let response = try JSONDecoder().decode(Response.self, from: Data(body))
        guard let status = response.status else {
            throw DecodingError.valueNotFound(Status.self, .init(codingPath: [], debugDescription: "the review has no status"))
        }
        return status
    }
}
