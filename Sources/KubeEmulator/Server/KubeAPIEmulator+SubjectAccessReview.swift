
import NIOCore
import NIOHTTP1

extension KubeAPIEmulator.ResourceType {
    /// `authorization.k8s.io/v1` `subjectaccessreviews`: create-only, answered by the double's ``Authorization`` rule
    /// for the user and groups in the review's spec. Served by every double.
    public static let subjectAccessReviews = KubeAPIEmulator.ResourceType(
        group: "authorization.k8s.io", version: "v1", resource: "subjectaccessreviews",
        singular: "subjectaccessreview", kind: "SubjectAccessReview", namespaced: false, verbs: ["create"])

    /// `clusters.verrazzano.io/v1alpha1` `verrazzanomanagedclusters` with a status subresource, as Verrazzano's CRD
    /// serves them (add it to ``Configuration/additionalResources``).
    public static let verrazzanoManagedCluster = KubeAPIEmulator.ResourceType(
        group: "clusters.verrazzano.io", version: "v1alpha1", resource: "verrazzanomanagedclusters",
        singular: "verrazzanomanagedcluster", kind: "VerrazzanoManagedCluster", namespaced: true, shortNames: ["vmc", "vmcs"],
        subresources: ["status"])
}

extension KubeAPIEmulator {
    /// Answers a `SubjectAccessReview` (the caller was already authorized to `create` it): the review's
    /// `spec.user`, `spec.uid` and `spec.groups` (not the caller) are checked against the ``Authorization`` rule with
    /// the review's `resourceAttributes` (or `nonResourceAttributes`), as the API server's authorizers would.
    func subjectAccessReview(_ request: KubeEmulatorRequest) -> KubeEmulatorResponse {
        guard var review = try? KubeEmulatorJSON.parse(request.body), review.objectValue != nil,
              let spec = review["spec"], let userName = spec["user"]?.stringValue else {
            return .status(400, reason: "BadRequest", message: "the request body is not a SubjectAccessReview with spec.user")
        }
        let groups = (spec["groups"]?.arrayValue ?? []).compactMap(\.stringValue)
        let attributes = spec["resourceAttributes"]
        let nonResource = spec["nonResourceAttributes"]
        guard attributes != nil || nonResource != nil else {
            return .status(400, reason: "Invalid",
                           message: "SubjectAccessReview is invalid: spec.resourceAttributes: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified")
        }
        let access = AccessRequest(
            user: User(name: userName, uid: spec["uid"]?.stringValue, groups: groups),
            verb: attributes?["verb"]?.stringValue ?? nonResource?["verb"]?.stringValue ?? "",
            group: attributes?["group"]?.stringValue ?? "",
            resource: attributes?["resource"]?.stringValue ?? "",
            subresource: attributes?["subresource"]?.stringValue,
            namespace: attributes?["namespace"]?.stringValue,
            name: attributes?["name"]?.stringValue,
            path: nonResource?["path"]?.stringValue ?? ""
        )
        let allowed = self.allows(access)
        var status: KubeEmulatorJSON = ["allowed": .bool(allowed)]
        if !allowed { status["reason"] = "denied by the double's authorization rule" }
        review["status"] = status
        review["metadata"] = ["creationTimestamp": .null]
        return .json(review, status: .created)
    }
}
