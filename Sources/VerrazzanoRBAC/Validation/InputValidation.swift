import KubeModels

/// Validation of a whole input set: each document's own fields, then what documents may not share.
enum InputValidation {
    /// The problems of each input, by input index (an input without problems is valid).
    static func problems(_ inputs: [InputDocument]) -> [[RBACInputError.Problem]] {
        var result = inputs.map { input -> [RBACInputError.Problem] in
            let fieldProblems = switch input.resource {
            case .verrazzano(let verrazzano): Self.problems(verrazzano)
            case .project(let project): Self.problems(project)
            }
            return fieldProblems.map { input.problem($0.path, $0.reason, $0.message) }
        }
        Self.checkSingleVerrazzano(inputs, into: &result)
        Self.checkUniqueProjects(inputs, into: &result)
        Self.checkNamespaceClaims(inputs, into: &result)
        return result
    }

    // MARK: - One document

    static func problems(_ verrazzano: Verrazzano) -> [FieldProblem] {
        Subject.problems(verrazzano.spec.security?.adminSubjects, path: "spec.security.adminSubjects")
            + Subject.problems(verrazzano.spec.security?.monitorSubjects, path: "spec.security.monitorSubjects")
    }

    /// The longest cluster name: `verrazzano-cluster-<name>` must fit a 253-character object name.
    static let maxClusterNameLength = 253 - "verrazzano-cluster-".utf8.count

    static func problems(_ project: VerrazzanoProject) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        let name = project.name
        if name.isEmpty {
            problems.append(FieldProblem("metadata.name", .required, "a project needs a name"))
        } else if !DNS1123.isSubdomain(name, maxLength: 63) {
            problems.append(FieldProblem(
                "metadata.name", .invalid,
                "\"\(name)\": must be a lowercase RFC 1123 subdomain of at most 63 characters (it becomes a label value)"))
        }
        switch project.metadata.namespace ?? "" {
        case VerrazzanoProject.projectsNamespace: break
        case "":
            problems.append(FieldProblem(
                "metadata.namespace", .required, "a project must be in namespace \(VerrazzanoProject.projectsNamespace)"))
        case let namespace:
            problems.append(FieldProblem(
                "metadata.namespace", .notSupported,
                "\"\(namespace)\": a project must be in namespace \(VerrazzanoProject.projectsNamespace)"))
        }
        problems += Self.namespaceProblems(project)
        problems += Self.clusterProblems(project)
        problems += Self.securityProblems(project)
        return problems
    }

    static func namespaceProblems(_ project: VerrazzanoProject) -> [FieldProblem] {
        let namespaces = project.spec.template.namespaces
        guard !namespaces.isEmpty else {
            return [FieldProblem("spec.template.namespaces", .required, "a project needs at least one namespace")]
        }
        var problems: [FieldProblem] = []
        var seen: [String: Int] = [:]
        let reserved = [
            OwnershipLabels.managedByKey: OwnershipLabels.managedByValue,
            OwnershipLabels.projectKey: project.name,
            OwnershipLabels.projectNamespaceKey: project.metadata.namespace ?? "",
            OwnershipLabels.verrazzanoManagedKey: "true",
        ]
        for (index, template) in namespaces.enumerated() {
            let at = "spec.template.namespaces[\(index)].metadata"
            let name = template.metadata.name ?? ""
            if name.isEmpty {
                problems.append(FieldProblem("\(at).name", .required, "a namespace needs a name"))
            } else if !DNS1123.isLabel(name) {
                problems.append(FieldProblem("\(at).name", .invalid, "\"\(name)\": \(DNS1123.labelMessage)"))
            } else if let first = seen[name] {
                problems.append(FieldProblem(
                    "\(at).name", .duplicate,
                    "namespace \"\(name)\" is listed twice (also spec.template.namespaces[\(first)])"))
            } else {
                seen[name] = index
            }
            for key in OwnershipLabels.reservedNamespaceLabelKeys {
                if let value = template.metadata.labels?[key], let required = reserved[key], value != required {
                    problems.append(FieldProblem(
                        "\(at).labels[\(key)]", .invalid,
                        "\"\(value)\": label \(key) is set by vzauth to \"\(required)\""))
                }
            }
        }
        return problems
    }

    static func clusterProblems(_ project: VerrazzanoProject) -> [FieldProblem] {
        let clusters = project.spec.placement.clusters
        guard !clusters.isEmpty else {
            return [FieldProblem("spec.placement.clusters", .required, "a project needs at least one placement cluster")]
        }
        var problems: [FieldProblem] = []
        var seen: [String: Int] = [:]
        for (index, cluster) in clusters.enumerated() {
            let at = "spec.placement.clusters[\(index)].name"
            if cluster.name.isEmpty {
                problems.append(FieldProblem(at, .required, "a placement cluster needs a name"))
            } else if !DNS1123.isSubdomain(cluster.name, maxLength: Self.maxClusterNameLength) {
                problems.append(FieldProblem(
                    at, .invalid,
                    "\"\(cluster.name)\": must be a lowercase RFC 1123 subdomain of at most \(Self.maxClusterNameLength) characters"))
            } else if let first = seen[cluster.name] {
                problems.append(FieldProblem(
                    at, .duplicate, "cluster \"\(cluster.name)\" is listed twice (also spec.placement.clusters[\(first)])"))
            } else {
                seen[cluster.name] = index
            }
        }
        return problems
    }

    static func securityProblems(_ project: VerrazzanoProject) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        let locations = [("spec.security", project.spec.security), ("spec.template.security", project.spec.template.security)]
        for case let (path, security?) in locations {
            problems += Subject.problems(security.projectAdminSubjects, path: "\(path).projectAdminSubjects")
            problems += Subject.problems(security.projectMonitorSubjects, path: "\(path).projectMonitorSubjects")
        }
        if let beta = project.spec.security, let alpha = project.spec.template.security, beta != alpha {
            problems.append(FieldProblem(
                "spec.template.security", .conflict,
                "differs from spec.security: give the subjects in one place (spec.security in the v1beta1 shape, spec.template.security in v1alpha1)"))
        }
        return problems
    }

    // MARK: - Across documents

    static func checkSingleVerrazzano(_ inputs: [InputDocument], into result: inout [[RBACInputError.Problem]]) {
        let indices = inputs.indices.filter { inputs[$0].kind == "Verrazzano" }
        guard indices.count > 1 else { return }
        for index in indices {
            let others = indices.filter { $0 != index }.map { "\(inputs[$0].location) (\(inputs[$0].name))" }
            result[index].append(inputs[index].problem(
                "metadata.name", .duplicate,
                "only one Verrazzano resource may be given; also found: \(others.joined(separator: ", "))"))
        }
    }

    static func projectKey(_ input: InputDocument) -> String? {
        guard case .project(let project) = input.resource, !project.name.isEmpty else { return nil }
        return "\(project.metadata.namespace ?? "")/\(project.name)"
    }

    static func checkUniqueProjects(_ inputs: [InputDocument], into result: inout [[RBACInputError.Problem]]) {
        var groups: [String: [Int]] = [:]
        for index in inputs.indices {
            if let key = Self.projectKey(inputs[index]) { groups[key, default: []].append(index) }
        }
        for index in inputs.indices {
            guard let key = Self.projectKey(inputs[index]), let group = groups[key], group.count > 1 else { continue }
            let others = group.filter { $0 != index }.map { inputs[$0].location }
            result[index].append(inputs[index].problem(
                "metadata.name", .duplicate,
                "project \(key) is given more than once; also in \(others.joined(separator: ", "))"))
        }
    }

    /// A namespace claimed by two projects is a problem for both.
    static func checkNamespaceClaims(_ inputs: [InputDocument], into result: inout [[RBACInputError.Problem]]) {
        struct Claim { var input: Int; var entry: Int }
        var claims: [String: [Claim]] = [:]
        for (inputIndex, input) in inputs.enumerated() {
            guard case .project(let project) = input.resource else { continue }
            var claimed: Set<String> = []
            for (entry, template) in project.spec.template.namespaces.enumerated() {
                guard let name = template.metadata.name, !name.isEmpty, claimed.insert(name).inserted else { continue }
                claims[name, default: []].append(Claim(input: inputIndex, entry: entry))
            }
        }
        for (namespace, claimants) in claims.sorted(by: { $0.key < $1.key }) where claimants.count > 1 {
            for claim in claimants {
                let key = Self.projectKey(inputs[claim.input])
                let others = claimants.filter { other in
                    other.input != claim.input && (key == nil || Self.projectKey(inputs[other.input]) != key)
                }
                guard !others.isEmpty else { continue }
                let names = others.map { "VerrazzanoProject \(Self.projectKey(inputs[$0.input]) ?? "(no name)") (\(inputs[$0.input].location))" }
                result[claim.input].append(inputs[claim.input].problem(
                    "spec.template.namespaces[\(claim.entry)].metadata.name", .conflict,
                    "namespace \"\(namespace)\" is also claimed by \(names.joined(separator: ", ")); a namespace may belong to one project only"))
            }
        }
    }
}
