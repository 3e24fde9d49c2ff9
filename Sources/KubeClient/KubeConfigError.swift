/// A problem with a kubeconfig file or the in-cluster configuration: which file, which field, and what is wrong.
///
/// Compare with the static members to test for a kind of problem:
/// ```swift
/// catch let error as KubeConfigError where error == .unsupportedCredential { ... }
/// ```
/// Equality compares the kind only, never the file, field or message.
public struct KubeConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case unreadableFile
        case invalidDocument
        case missingField
        case contextNotFound
        case clusterNotFound
        case userNotFound
        case unsupportedCredential
        case invalidValue
        case notInCluster
    }

    private let code: Code
    /// The file the problem was found in, if any.
    public let file: String?
    /// The field (a kubeconfig path such as `users[alice].user.exec`), if the problem is about one field.
    public let field: String?
    /// A human-readable explanation.
    public let message: String

    private init(_ code: Code, file: String? = nil, field: String? = nil, message: String) {
        self.code = code
        self.file = file
        self.field = field
        self.message = message
    }

    /// A file could not be read.
    public static let unreadableFile = Self(.unreadableFile, message: "unreadable file")
    /// The kubeconfig is not valid YAML or does not have the kubeconfig shape.
    public static let invalidDocument = Self(.invalidDocument, message: "invalid document")
    /// A required field is missing.
    public static let missingField = Self(.missingField, message: "missing field")
    /// The requested (or current) context does not exist.
    public static let contextNotFound = Self(.contextNotFound, message: "context not found")
    /// A context names a cluster that does not exist.
    public static let clusterNotFound = Self(.clusterNotFound, message: "cluster not found")
    /// A context names a user that does not exist.
    public static let userNotFound = Self(.userNotFound, message: "user not found")
    /// The user uses a credential this client does not support (`exec` plugins, `auth-provider`).
    public static let unsupportedCredential = Self(.unsupportedCredential, message: "unsupported credential")
    /// A field has a value that cannot be used (bad URL, bad base64, bad PEM, conflicting options).
    public static let invalidValue = Self(.invalidValue, message: "invalid value")
    /// The in-cluster environment (`KUBERNETES_SERVICE_HOST` / `KUBERNETES_SERVICE_PORT`) is missing.
    public static let notInCluster = Self(.notInCluster, message: "not running in a cluster")

    static func unreadableFile(_ file: String, field: String? = nil, reason: String) -> Self {
        Self(.unreadableFile, file: file, field: field, message: "cannot read \(file): \(reason)")
    }
    static func invalidDocument(_ file: String, reason: String) -> Self {
        Self(.invalidDocument, file: file, message: "\(file) is not a valid kubeconfig: \(reason)")
    }
    static func missingField(_ file: String, field: String) -> Self {
        Self(.missingField, file: file, field: field, message: "\(file): \(field) is required")
    }
    static func contextNotFound(_ file: String, name: String?) -> Self {
        if let name {
            return Self(.contextNotFound, file: file, field: "contexts", message: "\(file): context \"\(name)\" not found")
        }
        return Self(
            .contextNotFound,
            file: file,
            field: "current-context",
            message: "\(file): no context given and current-context is not set"
        )
    }
    static func clusterNotFound(_ file: String, field: String, name: String) -> Self {
        Self(.clusterNotFound, file: file, field: field, message: "\(file): cluster \"\(name)\" (\(field)) not found")
    }
    static func userNotFound(_ file: String, field: String, name: String) -> Self {
        Self(.userNotFound, file: file, field: field, message: "\(file): user \"\(name)\" (\(field)) not found")
    }
    static func unsupportedCredential(_ file: String, field: String, reason: String) -> Self {
        Self(.unsupportedCredential, file: file, field: field, message: "\(file): \(field): \(reason)")
    }
    static func invalidValue(_ file: String?, field: String, reason: String) -> Self {
        Self(.invalidValue, file: file, field: field, message: "\(file.map { "\($0): " } ?? "")\(field): \(reason)")
    }
    static func notInCluster(reason: String) -> Self {
        Self(.notInCluster, message: "not running in a Kubernetes cluster: \(reason)")
    }

    /// Equal when of the same kind.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// Hashes the kind only.
    public func hash(into hasher: inout Hasher) { hasher.combine(self.code) }

    /// The message.
    public var description: String { self.message }
}
