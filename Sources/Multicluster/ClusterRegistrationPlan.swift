import Foundation
public import KubeClient
public import KubeModels

/// What `vzauth cluster register` has to write to make the admin cluster's objects match a
/// ``ClusterRegistration``, computed from the live objects without I/O, and what to report for each object.
///
/// Only what differs is written, so a second run with the same inputs writes nothing. The writes, in order:
///
/// 1. With a CA: the Secret (server-side apply by `vzauth`, forced: a Secret of that name made by hand is taken
///    over), when it is missing, its `cacrt` differs or it lacks the label. Other keys of the Secret are kept.
/// 2. The VMC's main resource: created (apply) when missing; with a CA, `spec.caSecret` applied when it differs;
///    without a CA, a `spec.caSecret` (whoever set it) removed with a merge patch, so the system roots are
///    trusted. Other spec fields are kept.
/// 3. `status.apiUrl`, applied to the `status` subresource when it differs (a real API server ignores `status`
///    in writes to the main resource of a custom resource with a status subresource).
/// 4. Without a CA: the Secret `ca-secret-NAME`, if it exists and carries `app.kubernetes.io/managed-by: vzauth`,
///    is deleted (only if it is still the version read), once the VMC no longer names it. A Secret without that
///    label is left alone.
///
/// The Secret is written before the VMC names it and deleted after the VMC stopped naming it, so the API proxy
/// never sees a VMC whose CA Secret is missing.
public struct ClusterRegistrationPlan: Sendable, Hashable {
    /// What happened to one object.
    public enum Outcome: String, Sendable, Hashable {
        /// It did not exist and was created.
        case created
        /// It existed and was changed.
        case updated
        /// It already was as registered.
        case unchanged
        /// It was deleted.
        case deleted
        /// It was left as it was, although it differs (e.g. a Secret vzauth did not make).
        case leftAlone = "left alone"
    }

    /// One request.
    public enum Write: Sendable, Hashable {
        /// Server-side apply of the CA Secret; `creates`: it does not exist yet (the API server then checks the
        /// permission to create it).
        case applySecret(ClusterCASecretObject, creates: Bool)
        /// Server-side apply of the VMC's main resource (creates it, or sets `spec.caSecret`).
        case applyCluster(JSONValue, creates: Bool)
        /// Merge patch `{"spec":{"caSecret":null}}` on the VMC.
        case removeCASecretReference
        /// Server-side apply of the VMC's `status` subresource.
        case applyStatus(JSONValue)
        /// Deletes the CA Secret vzauth made, if it is still that version of that object.
        case deleteSecret(name: String, uid: String?, resourceVersion: String?)

        /// The request, for the objects of `registration`.
        public func request(for registration: ClusterRegistration) throws -> KubeWrite {
            let manager = ClusterRegistration.fieldManager
            let vmc = VerrazzanoManagedCluster.resource
            let name = registration.name.rawValue
            let namespace = registration.namespace
            switch self {
            case .applySecret(let secret, _):
                return try .apply(secret, .secrets, namespace: namespace, name: secret.name, fieldManager: manager)
            case .applyCluster(let configuration, _):
                return try .apply(configuration, vmc, namespace: namespace, name: name, fieldManager: manager)
            case .removeCASecretReference:
                let patch: JSONValue = ["spec": ["caSecret": .null]]
                return try .mergePatch(patch, vmc, namespace: namespace, name: name)
            case .applyStatus(let configuration):
                return try .apply(configuration, vmc, namespace: namespace, name: name, subresource: "status",
                                  fieldManager: manager)
            case .deleteSecret(let secret, let uid, let resourceVersion):
                return try .delete(.secrets, namespace: namespace, name: secret, resourceVersion: resourceVersion, uid: uid)
            }
        }

        /// The permission the request needs: verb, API group, resource (with subresource) and object name. An apply
        /// that creates the object needs `create`, one that changes it `patch`.
        public func permission(for registration: ClusterRegistration) -> ClusterRegistrationPermission {
            let group = VerrazzanoManagedCluster.group
            let resource = VerrazzanoManagedCluster.resource.resource
            let name = registration.name.rawValue
            return switch self {
            case .applySecret(let secret, let creates):
                ClusterRegistrationPermission(verb: creates ? "create" : "patch", group: "", resource: "secrets", name: secret.name)
            case .applyCluster(_, let creates):
                ClusterRegistrationPermission(verb: creates ? "create" : "patch", group: group, resource: resource, name: name)
            case .removeCASecretReference:
                ClusterRegistrationPermission(verb: "patch", group: group, resource: resource, name: name)
            case .applyStatus: ClusterRegistrationPermission(verb: "patch", group: group, resource: resource + "/status", name: name)
            case .deleteSecret(let secret, _, _): ClusterRegistrationPermission(verb: "delete", group: "", resource: "secrets", name: secret)
            }
        }
    }

    /// What happened to one object, for the command's output.
    public struct Report: Sendable, Hashable, CustomStringConvertible {
        /// `secret` or `verrazzanomanagedcluster`.
        public var kind: String
        /// The namespace.
        public var namespace: String
        /// The name.
        public var name: String
        /// What happened.
        public var outcome: Outcome
        /// What changed (or why it was left alone), e.g. `status.apiUrl https://a -> https://b`.
        public var details: [String]

        /// `KIND NAMESPACE/NAME OUTCOME (DETAILS)`.
        public var description: String {
            let head = "\(self.kind) \(self.namespace)/\(self.name) \(self.outcome.rawValue)"
            return self.details.isEmpty ? head : head + " (" + self.details.joined(separator: "; ") + ")"
        }
    }

    /// The registration the plan is for.
    public let registration: ClusterRegistration
    /// The requests to send, in order; empty when everything already is as registered.
    public let writes: [Write]
    /// One report per object: the Secret (if there is or was one) and the VMC.
    public let reports: [Report]

    /// Whether nothing has to be written.
    public var changesNothing: Bool { self.writes.isEmpty }

    /// Compares the live objects with `registration`.
    ///
    /// - Parameters:
    ///   - liveSecret: The Secret `ca-secret-NAME` as read, `nil` if it does not exist.
    ///   - liveCluster: The VMC as read, `nil` if it does not exist.
    /// - Throws: ``ClusterRegistrationConflict`` when the live objects cannot be brought to the registration.
    public init(
        registration: ClusterRegistration,
        liveSecret: ClusterCASecretObject?,
        liveCluster: VerrazzanoManagedCluster?
    ) throws(ClusterRegistrationConflict) {
        let namespace = registration.namespace
        let secretName = registration.caSecretName
        let clusterName = registration.name.rawValue
        if let liveCluster, liveCluster.metadata.deletionTimestamp != nil {
            throw .clusterBeingDeleted(namespace: namespace, name: clusterName)
        }
        var writes: [Write] = []
        var reports: [Report] = []

        // 1. The CA Secret.
        var deleteAfterwards: Write?
        var laterReport: Report?
        if let desired = registration.desiredSecret(), let certificateAuthority = registration.certificateAuthority {
            let count = certificateAuthority.certificates.count
            let certificates = count == 1 ? "1 certificate" : "\(count) certificates"
            if let liveSecret {
                if let type = liveSecret.type, !type.isEmpty, type != ClusterCASecretObject.opaque {
                    throw .secretType(namespace: namespace, name: secretName, type: type)
                }
                var changes: [String] = []
                if liveSecret.caCertificatePEM != Data(certificateAuthority.pem.utf8) { changes.append("cacrt: \(certificates)") }
                if !liveSecret.isManagedByVZAuth {
                    changes.append("label \(ClusterRegistration.managedByLabel)=\(ClusterRegistration.managedByValue)")
                }
                if !changes.isEmpty { writes.append(.applySecret(desired, creates: false)) }
                reports.append(Report(kind: "secret", namespace: namespace, name: secretName,
                                      outcome: changes.isEmpty ? .unchanged : .updated, details: changes))
            } else {
                writes.append(.applySecret(desired, creates: true))
                reports.append(Report(kind: "secret", namespace: namespace, name: secretName, outcome: .created,
                                      details: ["cacrt: \(certificates)"]))
            }
        } else if let liveSecret {
            if liveSecret.isManagedByVZAuth {
                deleteAfterwards = .deleteSecret(name: secretName, uid: liveSecret.metadata.uid,
                                                 resourceVersion: liveSecret.metadata.resourceVersion)
                laterReport = Report(kind: "secret", namespace: namespace, name: secretName, outcome: .deleted,
                                     details: ["no --ca-file: the system roots are trusted"])
            } else {
                laterReport = Report(kind: "secret", namespace: namespace, name: secretName, outcome: .leftAlone,
                                     details: ["not labelled \(ClusterRegistration.managedByLabel)=\(ClusterRegistration.managedByValue)"])
            }
        }

        // 2. and 3. The VMC and its status.
        let desiredCASecret = registration.certificateAuthority == nil ? nil : secretName
        if let liveCluster {
            var changes: [String] = []
            let liveCASecret = liveCluster.spec.caSecret.flatMap { $0.isEmpty ? nil : $0 }
            if liveCASecret != desiredCASecret {
                if let desiredCASecret {
                    writes.append(.applyCluster(registration.clusterApplyConfiguration(), creates: false))
                    changes.append("spec.caSecret \(desiredCASecret)")
                } else {
                    writes.append(.removeCASecretReference)
                    changes.append("spec.caSecret removed: the system roots are trusted")
                }
            }
            let liveURL = liveCluster.status.apiUrl ?? ""
            if liveURL != registration.apiURL {
                writes.append(.applyStatus(registration.statusApplyConfiguration()))
                changes.append(liveURL.isEmpty ? "status.apiUrl \(registration.apiURL)"
                                               : "status.apiUrl \(liveURL) -> \(registration.apiURL)")
            }
            reports.append(Report(kind: "verrazzanomanagedcluster", namespace: namespace, name: clusterName,
                                  outcome: changes.isEmpty ? .unchanged : .updated, details: changes))
        } else {
            writes.append(.applyCluster(registration.clusterApplyConfiguration(), creates: true))
            writes.append(.applyStatus(registration.statusApplyConfiguration()))
            var details = [desiredCASecret.map { "spec.caSecret \($0)" } ?? "no spec.caSecret: the system roots are trusted"]
            details.append("status.apiUrl \(registration.apiURL)")
            reports.append(Report(kind: "verrazzanomanagedcluster", namespace: namespace, name: clusterName,
                                  outcome: .created, details: details))
        }

        // 4. A Secret vzauth made that the VMC no longer names.
        if let deleteAfterwards { writes.append(deleteAfterwards) }
        if let laterReport { reports.append(laterReport) }
        self.registration = registration
        self.writes = writes
        self.reports = reports
    }
}
