import Foundation
public import KubeModels

/// A managed cluster registered with the admin cluster without Verrazzano's agent (`vzauth cluster register`): the
/// checked inputs and the objects they stand for.
///
/// - the `VerrazzanoManagedCluster` NAME in the managed-cluster namespace, with `spec.caSecret` naming the CA
///   Secret (or no `spec.caSecret` without a CA: the system roots are trusted) and `status.apiUrl` the managed
///   cluster's API proxy (written through the `status` subresource);
/// - with a CA, the Secret ``caSecretName(for:)`` (`ca-secret-NAME`, as Verrazzano's registration steps name it)
///   of type `Opaque`, the CA's PEM in key `cacrt` and the label `app.kubernetes.io/managed-by: vzauth`.
///
/// Every input is checked as the API proxy will read it (``ClusterDirectory``): what is registered is a cluster the
/// proxy can route to, never one it would find ``ClusterState/unusable(_:)``.
public struct ClusterRegistration: Sendable, Hashable {
    /// The field manager of every write: `vzauth`.
    public static let fieldManager = "vzauth"
    /// The label that marks the CA Secrets vzauth made: `app.kubernetes.io/managed-by`.
    public static let managedByLabel = "app.kubernetes.io/managed-by"
    /// Its value: `vzauth`.
    public static let managedByValue = "vzauth"

    /// The cluster's name (the VMC's).
    public let name: ClusterName
    /// The managed-cluster namespace.
    public let namespace: String
    /// `status.apiUrl`: the managed cluster's API proxy, without trailing `/`.
    public let apiURL: String
    /// The CA to trust for ``apiURL``; `nil`: the system roots.
    public let certificateAuthority: ClusterCertificateAuthority?

    /// The CA Secret's name for a cluster: `ca-secret-NAME`.
    public static func caSecretName(for name: ClusterName) -> String { "ca-secret-\(name.rawValue)" }

    /// The CA Secret's name for this cluster (whether or not it has a CA).
    public var caSecretName: String { Self.caSecretName(for: self.name) }

    /// Checks every input and reports every problem at once.
    ///
    /// - Parameters:
    ///   - name: NAME as given.
    ///   - apiURL: `--api-url` as given.
    ///   - caFile: `--ca-file` and its contents (or why it could not be read); `nil` without `--ca-file`.
    ///   - namespace: `--managed-cluster-namespace`.
    public init(
        name: String,
        apiURL: String,
        caFile: (path: String, contents: Result<[UInt8], ClusterRegistrationError.Problem>)? = nil,
        namespace: String = VerrazzanoManagedCluster.defaultNamespace
    ) throws(ClusterRegistrationError) {
        var problems: [ClusterRegistrationError.Problem] = []
        let clusterName: ClusterName?
        do throws(ClusterRouteError) {
            clusterName = try ClusterName.validated(name)
        } catch {
            if case .invalidName(_, let why) = error { problems.append(.invalidName(name, why)) }
            clusterName = nil
        }
        if let clusterName, caFile != nil, Self.caSecretName(for: clusterName).utf8.count > ClusterName.maximumLength {
            problems.append(.nameTooLongForSecret(Self.caSecretName(for: clusterName)))
        }
        if !Self.isNamespaceName(namespace) { problems.append(.invalidNamespace(namespace)) }
        let url = Self.checkedAPIURL(apiURL, problems: &problems)
        var certificateAuthority: ClusterCertificateAuthority?
        if let caFile {
            switch caFile.contents {
            case .failure(let problem):
                problems.append(problem)
            case .success(let bytes):
                do throws(ClusterCertificateAuthority.Problem) {
                    certificateAuthority = try ClusterCertificateAuthority(pem: bytes)
                } catch {
                    problems.append(.invalidCAFile(caFile.path, error))
                }
            }
        }
        guard problems.isEmpty, let clusterName, let url else { throw ClusterRegistrationError(problems: problems) }
        self.name = clusterName
        self.namespace = namespace
        self.apiURL = url
        self.certificateAuthority = certificateAuthority
        // What the API proxy will make of it: never register a cluster it would refuse.
        if case .unusable(let refusal) = ClusterDirectory.state(of: self.desiredCluster(), secrets: self.desiredSecretsByName()) {
            throw ClusterRegistrationError(problems: [.invalidAPIURL(apiURL, "cannot be used: \(refusal)")])
        }
    }

    /// `status.apiUrl` for `text`, or `nil` with a problem: an https URL with a host, without user, query or
    /// fragment, with a valid port; trailing `/` removed.
    private static func checkedAPIURL(_ text: String, problems: inout [ClusterRegistrationError.Problem]) -> String? {
        guard !text.isEmpty else {
            problems.append(.invalidAPIURL(text, "is empty"))
            return nil
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme else {
            problems.append(.invalidAPIURL(text, "is not a URL"))
            return nil
        }
        let why: String? =
            if scheme.lowercased() != "https" {
                "is not https (the admin proxy sends users' tokens to it, so only over TLS)"
            } else if (components.host ?? "").isEmpty {
                "has no host"
            } else if components.user != nil || components.password != nil {
                "must not contain a user or password"
            } else if components.query != nil {
                "must not have a query (?...)"
            } else if components.fragment != nil {
                "must not have a fragment (#...)"
            } else if let port = components.port, !(1...65535).contains(port) {
                "has an invalid port"
            } else {
                nil
            }
        if let why {
            problems.append(.invalidAPIURL(text, why))
            return nil
        }
        var url = text
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    /// Whether `text` is a DNS-1123 label (a namespace name).
    static func isNamespaceName(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...63).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-") else {
            return false
        }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-")
        }
    }

    // MARK: - Desired objects

    /// The VMC as registered (spec and status), as the API proxy will read it.
    public func desiredCluster() -> VerrazzanoManagedCluster {
        VerrazzanoManagedCluster(name: self.name.rawValue, namespace: self.namespace,
                                 caSecret: self.certificateAuthority == nil ? nil : self.caSecretName, apiUrl: self.apiURL)
    }

    /// The CA Secret as registered; `nil` without a CA.
    public func desiredSecret() -> ClusterCASecretObject? {
        guard let certificateAuthority else { return nil }
        return ClusterCASecretObject(
            name: self.caSecretName, namespace: self.namespace,
            labels: [Self.managedByLabel: Self.managedByValue],
            data: [ClusterCASecret.caKey: Data(certificateAuthority.pem.utf8).base64EncodedString()])
    }

    private func desiredSecretsByName() -> [String: ClusterCASecret] {
        guard let certificateAuthority else { return [:] }
        return [self.caSecretName: ClusterCASecret(name: self.caSecretName, namespace: self.namespace,
                                                   caCertificatePEM: certificateAuthority.pem)]
    }

    /// The server-side apply configuration of the VMC's main resource: name, namespace and `spec.caSecret` (an
    /// empty `spec` without a CA; removing a `caSecret` someone set is a merge patch, see
    /// ``ClusterRegistrationPlan``).
    public func clusterApplyConfiguration() -> JSONValue {
        var spec: [String: JSONValue] = [:]
        if self.certificateAuthority != nil { spec["caSecret"] = .string(self.caSecretName) }
        return [
            "apiVersion": .string(VerrazzanoManagedCluster.resource.apiVersion),
            "kind": "VerrazzanoManagedCluster",
            "metadata": ["name": .string(self.name.rawValue), "namespace": .string(self.namespace)],
            "spec": .object(spec),
        ]
    }

    /// The server-side apply configuration of the VMC's `status` subresource: `status.apiUrl`.
    public func statusApplyConfiguration() -> JSONValue {
        [
            "apiVersion": .string(VerrazzanoManagedCluster.resource.apiVersion),
            "kind": "VerrazzanoManagedCluster",
            "metadata": ["name": .string(self.name.rawValue), "namespace": .string(self.namespace)],
            "status": ["apiUrl": .string(self.apiURL)],
        ]
    }
}
