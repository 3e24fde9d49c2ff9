/// A problem in one field, before it is located in a document.
struct FieldProblem: Sendable, Hashable {
    var path: String
    var reason: RBACInputError.Reason
    var message: String

    init(_ path: String, _ reason: RBACInputError.Reason, _ message: String) {
        self.path = path
        self.reason = reason
        self.message = message
    }
}

extension Subject {
    /// The kinds a binding subject may have.
    static let kinds = ["User", "Group", "ServiceAccount"]

    /// The problems of subject list `subjects` at field `path` (e.g. `spec.security.adminSubjects`).
    ///
    /// `name` is required; `kind` is User, Group or ServiceAccount; a User's or Group's `apiGroup` is empty or
    /// `rbac.authorization.k8s.io`; a ServiceAccount has no `apiGroup` and needs a `namespace`.
    static func problems(_ subjects: [Subject]?, path: String) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        for (index, subject) in (subjects ?? []).enumerated() {
            let at = "\(path)[\(index)]"
            if subject.name.isEmpty {
                problems.append(FieldProblem("\(at).name", .required, "a subject needs a name"))
            }
            let apiGroup = subject.apiGroup ?? ""
            switch subject.kind {
            case "User", "Group":
                if !apiGroup.isEmpty && apiGroup != rbacAPIGroup {
                    problems.append(FieldProblem(
                        "\(at).apiGroup", .notSupported,
                        "\"\(apiGroup)\": a \(subject.kind)'s apiGroup must be empty or \(rbacAPIGroup)"))
                }
            case "ServiceAccount":
                if !apiGroup.isEmpty {
                    problems.append(FieldProblem(
                        "\(at).apiGroup", .notSupported, "\"\(apiGroup)\": a ServiceAccount's apiGroup must be empty"))
                }
                if (subject.namespace ?? "").isEmpty {
                    problems.append(FieldProblem("\(at).namespace", .required, "a ServiceAccount needs a namespace"))
                }
            case "":
                problems.append(FieldProblem("\(at).kind", .required, "a subject needs a kind: User, Group or ServiceAccount"))
            default:
                problems.append(FieldProblem(
                    "\(at).kind", .notSupported, "\"\(subject.kind)\": kind must be User, Group or ServiceAccount"))
            }
        }
        return problems
    }
}
