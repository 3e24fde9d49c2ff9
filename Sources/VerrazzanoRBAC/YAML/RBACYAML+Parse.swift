import KubeModels
import Yams
import YAMLSupport

extension RBACYAML {
    /// Why a document could not be read.
    struct Unreadable: Error {
        var problem: RBACInputError.Problem
    }

    /// Reads the documents of multi-document YAML `yaml` (`---` separated), naming them `source[index]` in
    /// problems and notes (index from 0, counting empty documents).
    ///
    /// - `Verrazzano` (`install.verrazzano.io/v1alpha1|v1beta1`) and `VerrazzanoProject`
    ///   (`clusters.verrazzano.io/v1alpha1|v1beta1`, either shape) become ``Parsed/inputs``;
    /// - `ClusterRole`, `ClusterRoleBinding`, `RoleBinding` (`rbac.authorization.k8s.io/v1`) and `Namespace` (`v1`)
    ///   become ``Parsed/objects``;
    /// - empty documents are skipped; documents of other kinds are skipped with a note.
    ///
    /// This reads; it does not validate (``DesiredState`` does).
    ///
    /// - Throws: ``RBACInputError`` listing every document that could not be read: YAML syntax (reading stops
    ///   there), not a mapping, no `kind`, an unsupported version of a known kind, or a field of the wrong type.
    public static func parse(_ yaml: String, source: String) throws(RBACInputError) -> Parsed {
        var parsed = Parsed()
        var problems: [RBACInputError.Problem] = []
        var index = 0
        do {
            let parser = try Parser(yaml: yaml)
            while let node = try parser.nextRoot() {
                defer { index += 1 }
                do throws(Unreadable) {
                    try Self.read(node, source: source, index: index, into: &parsed)
                } catch {
                    problems.append(error.problem)
                }
            }
        } catch {
            problems.append(RBACInputError.Problem(
                source: source, documentIndex: index, kind: "", name: "", path: "", reason: .unreadable,
                message: Self.describe(yamlError: error)))
        }
        guard problems.isEmpty else { throw RBACInputError(problems: problems) }
        return parsed
    }

    /// Adds document `node` to `parsed`, or explains why it cannot be read.
    static func read(_ node: Node, source: String, index: Int, into parsed: inout Parsed) throws(Unreadable) {
        if node.null != nil { return }
        let kind = node["kind"]?.string ?? ""
        let apiVersion = node["apiVersion"]?.string ?? ""
        let metadata = node["metadata"]
        func problem(_ path: String, _ message: String) -> Unreadable {
            Unreadable(problem: RBACInputError.Problem(
                source: source, documentIndex: index, kind: kind, name: metadata?["name"]?.string ?? "",
                namespace: metadata?["namespace"]?.string, path: path, reason: .unreadable, message: message))
        }
        guard node.mapping != nil else { throw problem("", "a document must be a mapping (a Kubernetes object)") }
        guard !kind.isEmpty else { throw problem("kind", "kind is required") }
        let (group, version) = Self.split(apiVersion: apiVersion)

        func decode<T: Decodable>(_ type: T.Type, versions: [String]) throws(Unreadable) -> T {
            guard versions.contains(version) else {
                let supported = versions.map { group.isEmpty ? $0 : "\(group)/\($0)" }
                throw problem(
                    "apiVersion", "\"\(apiVersion)\" is not supported for \(kind): use \(supported.joined(separator: " or "))")
            }
            do {
                return try YAMLDecoder().decode(type, from: node)
            } catch {
                throw problem(Self.path(of: error), Self.describe(decodingError: error))
            }
        }

        switch (kind, group) {
        case ("Verrazzano", Verrazzano.group):
            let verrazzano = try decode(Verrazzano.self, versions: Verrazzano.versions)
            parsed.inputs.append(.verrazzano(verrazzano, source: source, documentIndex: index))
        case ("VerrazzanoProject", VerrazzanoProject.group):
            let project = try decode(VerrazzanoProject.self, versions: VerrazzanoProject.versions)
            parsed.inputs.append(.project(project, source: source, documentIndex: index))
        case ("ClusterRole", Subject.rbacAPIGroup), ("ClusterRoleBinding", Subject.rbacAPIGroup),
             ("RoleBinding", Subject.rbacAPIGroup), ("Namespace", ""):
            parsed.objects.append(try decode(DesiredObject.self, versions: ["v1"]))
        default:
            let name = metadata?["name"]?.string.map { " \($0)" } ?? ""
            parsed.notes.append(
                "\(source)[\(index)]: skipped \(kind)\(name) (\(apiVersion.isEmpty ? "no apiVersion" : apiVersion)): "
                    + "not a Verrazzano, VerrazzanoProject or RBAC object")
        }
    }

    /// `("group", "version")`; the core group is `""`.
    static func split(apiVersion: String) -> (group: String, version: String) {
        guard let slash = apiVersion.lastIndex(of: "/") else { return ("", apiVersion) }
        return (String(apiVersion[..<slash]), String(apiVersion[apiVersion.index(after: slash)...]))
    }

    static func path(of error: any Error) -> String {
        (error as? DecodingError).map(YAMLErrorText.path(of:)) ?? ""
    }

    static func describe(decodingError error: any Error) -> String {
        (error as? DecodingError).map(YAMLErrorText.shape) ?? String(describing: error)
    }

    /// `YAML: line 3, column 5: <problem>` for YAML syntax errors.
    static func describe(yamlError error: any Error) -> String {
        "YAML: " + YAMLErrorText.describe(error)
    }
}
