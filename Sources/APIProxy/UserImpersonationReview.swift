public import Multicluster

/// `kubectl --as` for those allowed (`--allow-user-impersonation`): a request carrying `Impersonate-User` (and any
/// `Impersonate-Group`) is served as that identity only when `SubjectAccessReview`s say the token's user may
/// `impersonate` the requested user and each requested group, as the API server itself would decide for a direct
/// request. The original user travels as `Impersonate-Extra-Original-User` and `-Original-Groups`, for audit.
public struct UserImpersonationReview: Sendable {
    /// Sends one review (with the proxy's own credential) and returns its verdict.
    public typealias Reviewer = @Sendable (SubjectAccessReview) async throws -> SubjectAccessReview.Status

    private let review: Reviewer

    /// Creates the check.
    public init(review: @escaping Reviewer) {
        self.review = review
    }

    /// The identity a client asked for with `Impersonate-User` and `Impersonate-Group`.
    struct Requested: Sendable {
        var user: String
        var groups: [String]
    }

    /// Whether `subject` may impersonate `requested`: every review must allow it. A review that cannot be made
    /// counts as a no (the caller answers 403 either way, and the error is the operator's to read).
    func allows(_ subject: AccessSubject, toImpersonate requested: Requested) async -> Bool {
        var reviews = [Self.review(subject, resource: "users", name: requested.user)]
        for group in requested.groups { reviews.append(Self.review(subject, resource: "groups", name: group)) }
        for review in reviews {
            guard let status = try? await self.review(review), status.allowed else { return false }
        }
        return true
    }

    private static func review(_ subject: AccessSubject, resource: String, name: String) -> SubjectAccessReview {
        SubjectAccessReview(spec: .init(
            user: subject.user, uid: subject.uid, groups: subject.groups,
            resourceAttributes: .init(namespace: nil, verb: "impersonate", group: "", version: "v1", resource: resource,
                                      name: name)))
    }
}
