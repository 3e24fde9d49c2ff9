public import KubeModels

/// A request of `vzauth cluster register` that the admin cluster's API server refused (or that never got an
/// answer), as a message naming the server, the namespace, the object and what to do.
public struct ClusterRegistrationFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The CRD file to apply when VMCs are not served.
    public static let crdFile = "deploy/crds/verrazzanomanagedclusters.clusters.verrazzano.io.yaml"

    /// The message.
    public var description: String

    /// Creates a failure with its message.
    public init(_ description: String) {
        self.description = description
    }

    /// The VMC resource (or its `status` subresource) is not served: the CRD is missing or old.
    public static func crdNotInstalled(server: String, detail: String) -> ClusterRegistrationFailure {
        ClusterRegistrationFailure(
            "\(server) does not serve \(VerrazzanoManagedCluster.resource.resource).\(VerrazzanoManagedCluster.group)/"
                + "\(VerrazzanoManagedCluster.resource.version) (\(detail)): the VerrazzanoManagedCluster CRD is not "
                + "installed; install it with kubectl apply -f \(Self.crdFile)")
    }

    /// The problem with the resources the API group version `clusters.verrazzano.io/v1alpha1` serves (from its
    /// discovery document), if VMCs or their `status` subresource are missing; `nil` if both are served.
    public static func discoveryProblem(server: String, resourceNames names: Set<String>) -> ClusterRegistrationFailure? {
        let resource = VerrazzanoManagedCluster.resource.resource
        if !names.contains(resource) {
            return .crdNotInstalled(server: server, detail: "the API group has no \(resource)")
        }
        if !names.contains(resource + "/status") {
            return .crdNotInstalled(server: server, detail: "\(resource) has no status subresource")
        }
        return nil
    }

    /// The failure of a request for `permission` in `namespace` that the server answered with `error`.
    public init(server: String, namespace: String, permission: ClusterRegistrationPermission, error: KubeAPIError) {
        let object = "\(permission.resource) \(namespace)/\(permission.name)"
        let said = "(\(error.description))"
        switch error.code {
        case 401:
            self.init("\(server) refused the kubeconfig's credential \(said): log in again, or pass another --kubeconfig or --kube-context")
        case 403:
            self.init("\(server) forbids the kubeconfig's user to \(permission.verb) \(object) \(said): it needs \(permission) "
                + "in namespace \(namespace), e.g. from a Role and RoleBinding there (see vzauth cluster register --help)")
        case 404 where error.status?.details?.kind == "namespaces":
            self.init("namespace \(namespace) does not exist on \(server): create it (kubectl create namespace \(namespace)) "
                + "or pass --managed-cluster-namespace")
        case 404 where permission.group == VerrazzanoManagedCluster.group && error.status?.details?.name == nil:
            self = .crdNotInstalled(server: server, detail: "404 for \(object)")
        case 409:
            self.init("\(object) changed on \(server) while it was being registered \(said): run the command again")
        default:
            self.init("\(server) refused to \(permission.verb) \(object) \(said)")
        }
    }
}
