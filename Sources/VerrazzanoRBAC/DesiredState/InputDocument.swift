import KubeModels

/// One input resource and where it came from, for locating problems.
public struct InputDocument: Sendable, Hashable {
    /// What was read.
    public enum Resource: Sendable, Hashable {
        /// The installation resource.
        case verrazzano(Verrazzano)
        /// A project.
        case project(VerrazzanoProject)
    }

    /// The name the caller gives the input, e.g. a file name or `cluster`.
    public var source: String
    /// The document's index in the source (from 0), if the source has several.
    public var documentIndex: Int?
    /// The resource.
    public var resource: Resource

    /// Creates an input document.
    public init(source: String, documentIndex: Int? = nil, resource: Resource) {
        self.source = source
        self.documentIndex = documentIndex
        self.resource = resource
    }

    /// An input document holding a `Verrazzano` resource.
    public static func verrazzano(_ verrazzano: Verrazzano, source: String, documentIndex: Int? = nil) -> InputDocument {
        InputDocument(source: source, documentIndex: documentIndex, resource: .verrazzano(verrazzano))
    }

    /// An input document holding a project.
    public static func project(_ project: VerrazzanoProject, source: String, documentIndex: Int? = nil) -> InputDocument {
        InputDocument(source: source, documentIndex: documentIndex, resource: .project(project))
    }

    /// `Verrazzano` or `VerrazzanoProject`.
    public var kind: String {
        switch self.resource {
        case .verrazzano: "Verrazzano"
        case .project: "VerrazzanoProject"
        }
    }

    /// The resource's name (empty if unset).
    public var name: String {
        switch self.resource {
        case .verrazzano(let verrazzano): verrazzano.name
        case .project(let project): project.name
        }
    }

    /// The resource's namespace, if set.
    public var namespace: String? {
        switch self.resource {
        case .verrazzano(let verrazzano): verrazzano.metadata.namespace
        case .project(let project): project.metadata.namespace
        }
    }

    /// `source[index]` or `source`.
    var location: String {
        self.documentIndex.map { "\(self.source)[\($0)]" } ?? self.source
    }

    /// A problem with this document.
    func problem(_ path: String, _ reason: RBACInputError.Reason, _ message: String) -> RBACInputError.Problem {
        RBACInputError.Problem(
            source: self.source, documentIndex: self.documentIndex, kind: self.kind, name: self.name,
            namespace: self.namespace, path: path, reason: reason, message: message)
    }
}
