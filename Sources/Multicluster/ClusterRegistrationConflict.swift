/// Why the live objects of the admin cluster cannot be brought to a registration, found before writing.
public enum ClusterRegistrationConflict: Error, Sendable, Hashable, CustomStringConvertible {
    /// The Secret `ca-secret-NAME` exists with another type than `Opaque` (a Secret's type cannot change).
    case secretType(namespace: String, name: String, type: String)
    /// The VMC is being deleted.
    case clusterBeingDeleted(namespace: String, name: String)

    /// What is wrong and what to do.
    public var description: String {
        switch self {
        case .secretType(let namespace, let name, let type):
            "Secret \(namespace)/\(name) exists with type \(type), and a Secret's type cannot change: delete it "
                + "(kubectl delete secret -n \(namespace) \(name)) and run the command again"
        case .clusterBeingDeleted(let namespace, let name):
            "VerrazzanoManagedCluster \(namespace)/\(name) is being deleted: wait until it is gone "
                + "(kubectl get vmc -n \(namespace) \(name)) and run the command again"
        }
    }
}
