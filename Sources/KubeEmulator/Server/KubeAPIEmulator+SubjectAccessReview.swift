import KubeModels

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

extension KubeAPIEmulator.ResourceType {
    /// `authorization.k8s.io/v1` `localsubjectaccessreviews`: a `SubjectAccessReview` in one namespace.
    public static let localSubjectAccessReviews = KubeAPIEmulator.ResourceType(
        group: "authorization.k8s.io", version: "v1", resource: "localsubjectaccessreviews",
        singular: "localsubjectaccessreview", kind: "LocalSubjectAccessReview", namespaced: true, verbs: ["create"])

    /// `authorization.k8s.io/v1` `selfsubjectrulesreviews` (`kubectl auth can-i --list`).
    public static let selfSubjectRulesReviews = KubeAPIEmulator.ResourceType(
        group: "authorization.k8s.io", version: "v1", resource: "selfsubjectrulesreviews",
        singular: "selfsubjectrulesreview", kind: "SelfSubjectRulesReview", namespaced: false, verbs: ["create"])

    /// The Verrazzano custom resources (`verrazzanoprojects`, `verrazzanos`, `verrazzanomanagedclusters`), for
    /// ``KubeAPIEmulator/Configuration/additionalResources``.
    public static let verrazzanoResources: [KubeAPIEmulator.ResourceType] = [.verrazzanoProject, .verrazzano, .verrazzanoManagedCluster]
}

extension KubeAPIEmulator {
    /// Answers a `SelfSubjectRulesReview` from the RBAC policy (with the closure modes: no rules,
    /// `incomplete: true`), as kube-apiserver lists the rules of the caller in `spec.namespace`.
    func selfSubjectRulesReview(_ request: KubeEmulatorRequest, user: User) -> KubeEmulatorResponse {
        let protobuf = KubeEmulatorProtobuf.object(Array(request.body.readableBytesView), kind: "SelfSubjectRulesReview",
                                                         apiVersion: "authorization.k8s.io/v1")
        guard var review = protobuf ?? (try? KubeEmulatorJSON.parse(request.body)), review.objectValue != nil else {
            return .badRequest("the request body is not a SelfSubjectRulesReview")
        }
        let namespace = review["spec"]?["namespace"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        var resourceRules: [KubeEmulatorJSON] = []
        var nonResourceRules: [KubeEmulatorJSON] = []
        let rbac = self.usesRBAC
        for rule in rbac ? self.rbacPolicy.rules(for: user, namespace: namespace) : [] {
            func list(_ values: [String]?) -> KubeEmulatorJSON { .array((values ?? []).map { .string($0) }) }
            if let urls = rule.nonResourceURLs, !urls.isEmpty {
                nonResourceRules.append(["verbs": list(rule.verbs), "nonResourceURLs": list(urls)])
            } else {
                var object: KubeEmulatorJSON = ["verbs": list(rule.verbs), "apiGroups": list(rule.apiGroups), "resources": list(rule.resources)]
                if let names = rule.resourceNames, !names.isEmpty { object["resourceNames"] = list(names) }
                resourceRules.append(object)
            }
        }
        review["spec"] = [:]  // kube-apiserver answers with the status only
        review["status"] = ["resourceRules": .array(resourceRules), "nonResourceRules": .array(nonResourceRules),
                            "incomplete": .bool(!rbac)]
        review["metadata"] = ["creationTimestamp": .null]
        return .json(review, status: .created)
    }

    /// Answers a `SubjectAccessReview` (the caller was already authorized to `create` it): the review's
    /// `spec.user`, `spec.uid` and `spec.groups` (not the caller) are checked against the ``Authorization`` rule with
    /// the review's `resourceAttributes` (or `nonResourceAttributes`), as the API server's authorizers would.
    /// In RBAC mode the decision and its reason come from the RBAC policy. For a `LocalSubjectAccessReview`
    /// (`namespace` set), the review's namespace must be the request's.
    func subjectAccessReview(_ request: KubeEmulatorRequest, namespace: String? = nil) -> KubeEmulatorResponse {
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
        if let namespace, let given = attributes?["namespace"]?.stringValue, !given.isEmpty, given != namespace {
            return .status(400, reason: "BadRequest",
                           message: "spec.resourceAttributes.namespace must match namespace: \(namespace)")
        }
        var extra: [String: [String]] = [:]
        for (key, values) in spec["extra"]?.objectValue ?? [:] { extra[key] = (values.arrayValue ?? []).compactMap(\.stringValue) }
        let access = AccessRequest(
            user: User(name: userName, groups: groups, uid: spec["uid"]?.stringValue, extra: extra),
            verb: attributes?["verb"]?.stringValue ?? nonResource?["verb"]?.stringValue ?? "",
            group: attributes?["group"]?.stringValue ?? "",
            resource: attributes?["resource"]?.stringValue ?? "",
            subresource: attributes?["subresource"]?.stringValue,
            namespace: namespace ?? attributes?["namespace"]?.stringValue,
            name: attributes?["name"]?.stringValue,
            path: nonResource?["path"]?.stringValue ?? ""
        )
        var status: KubeEmulatorJSON
        if self.usesRBAC {
            let decision = self.rbacDecision(access)
            status = ["allowed": .bool(decision.allowed)]
            if !decision.reason.isEmpty { status["reason"] = .string(decision.reason) }
        } else {
            let allowed = self.allows(access)
            status = ["allowed": .bool(allowed)]
            if !allowed { status["reason"] = "denied by the double's authorization rule" }
        }
        review["status"] = status
        review["metadata"] = ["creationTimestamp": .null]
        return .json(review, status: .created)
    }
}
