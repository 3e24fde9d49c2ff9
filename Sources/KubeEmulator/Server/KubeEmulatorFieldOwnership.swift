/// A field manager as server-side apply tells them apart (a `ManagedFieldsEntry` without its fields and time): its
/// name, whether it applied or updated, the subresource it wrote through, and for updates the API version.
struct KubeEmulatorFieldManager: Hashable, Sendable {
    var name: String
    var applies: Bool
    var subresource: String?
    var apiVersion: String

    /// As the API server names a manager in a conflict (`printManager`): `"name"`, `"name" with subresource
    /// "status"`, `"name" using v1`.
    var printed: String {
        var printed = KubeAPIEmulator.goQuoted(self.name)
        if let subresource { printed += " with subresource \(KubeAPIEmulator.goQuoted(subresource))" }
        if !self.applies { printed += " using \(self.apiVersion)" }
        return printed
    }

    /// The order the API server lists conflicting managers in (by their encoded identifier: name, operation, ...).
    fileprivate var sortKey: [String] {
        [self.name, self.applies ? "Apply" : "Update", self.apiVersion, self.subresource ?? ""]
    }
}

/// How a write changes who owns the fields of the object it writes.
enum KubeEmulatorOwnershipChange {
    /// A create, update or patch: the manager owns every field it changed.
    case update(KubeEmulatorFieldManager)
    /// A server-side apply of `configuration`: conflicts with other managers' fields fail with 409 unless `force`.
    case apply(KubeEmulatorFieldManager, configuration: KubeEmulatorJSON, force: Bool)
}

/// Which managers own which fields of one object, in the double's simplification of managed fields: a field is a
/// leaf (a scalar, or a list as a whole), named by its path as the API server prints paths (`.metadata.labels.app`,
/// `.rules`). The double does not know schemas, so lists are atomic (no merging by key) and maps are always
/// granular. Fields a manager stops applying lose that owner but are not removed from the object.
struct KubeEmulatorFieldOwnership: Sendable {
    private var owners: [String: Set<KubeEmulatorFieldManager>] = [:]

    /// Metadata the API server never tracks (the field manager's stripped fields), and what only the server sets.
    private static let untrackedMetadata: Set<String> = [
        "name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation", "managedFields",
        "resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds",
    ]

    /// The fields of `object` a manager can own, by path. With `status` set, only `.status` (`true`) or all but
    /// `.status` (`false`): what an apply through the `status` subresource or the main resource sets.
    static func fields(of object: KubeEmulatorJSON, status: Bool? = nil) -> [String: KubeEmulatorJSON] {
        var fields: [String: KubeEmulatorJSON] = [:]
        for (key, value) in object.objectValue ?? [:] where key != "apiVersion" && key != "kind" {
            if let status, (key == "status") != status { continue }
            if key == "metadata", case .object(let metadata) = value {
                for (name, member) in metadata where !Self.untrackedMetadata.contains(name) {
                    Self.collect(member, path: ".metadata.\(name)", into: &fields)
                }
            } else {
                Self.collect(value, path: ".\(key)", into: &fields)
            }
        }
        return fields
    }

    private static func collect(_ value: KubeEmulatorJSON, path: String, into fields: inout [String: KubeEmulatorJSON]) {
        switch value {
        case .null:
            break
        case .object(let members):
            for (key, member) in members { Self.collect(member, path: "\(path).\(key)", into: &fields) }
        default:
            fields[path] = value
        }
    }

    /// The fields of `configuration` whose value differs from `live` and that another manager owns.
    func conflicts(
        applying configuration: [String: KubeEmulatorJSON],
        by manager: KubeEmulatorFieldManager,
        live: [String: KubeEmulatorJSON]
    ) -> [(path: String, manager: KubeEmulatorFieldManager)] {
        var conflicts: [(path: String, manager: KubeEmulatorFieldManager)] = []
        for (path, value) in configuration {
            guard let current = live[path], current != value, let owners = self.owners[path] else { continue }
            for owner in owners where owner != manager {
                conflicts.append((path, owner))
            }
        }
        return conflicts.sorted { lhs, rhs in
            guard lhs.manager.sortKey == rhs.manager.sortKey else {
                return lhs.manager.sortKey.lexicographicallyPrecedes(rhs.manager.sortKey)
            }
            return lhs.path < rhs.path
        }
    }

    /// After an apply: the manager owns every applied field (alone where the value changed) and no longer owns
    /// fields it applied before and leaves out now.
    mutating func recordApply(_ configuration: [String: KubeEmulatorJSON], by manager: KubeEmulatorFieldManager, live: [String: KubeEmulatorJSON]) {
        for (path, owners) in self.owners where owners.contains(manager) && configuration[path] == nil {
            self.owners[path] = owners.count == 1 ? nil : owners.subtracting([manager])
        }
        for (path, value) in configuration {
            if live[path] == value {
                self.owners[path, default: []].insert(manager)
            } else {
                self.owners[path] = [manager]
            }
        }
    }

    /// After a create, update or patch: the manager alone owns every field it changed.
    mutating func recordUpdate(from old: [String: KubeEmulatorJSON], to new: [String: KubeEmulatorJSON], by manager: KubeEmulatorFieldManager) {
        for (path, value) in new where old[path] != value {
            self.owners[path] = [manager]
        }
    }

    /// Forgets the owners of fields the object no longer has.
    mutating func keepOnly(_ fields: [String: KubeEmulatorJSON]) {
        self.owners = self.owners.filter { fields[$0.key] != nil }
    }

    /// 409 `Conflict` as the API server words apply conflicts (`internal.NewConflictError`).
    static func conflictResponse(_ conflicts: [(path: String, manager: KubeEmulatorFieldManager)]) -> KubeEmulatorResponse {
        let message: String
        if conflicts.count == 1 {
            message = "Apply failed with 1 conflict: conflict with \(conflicts[0].manager.printed): \(conflicts[0].path)"
        } else {
            var lines: [String] = []
            var previous: KubeEmulatorFieldManager?
            for conflict in conflicts {
                if conflict.manager != previous { lines.append("conflicts with \(conflict.manager.printed):") }
                previous = conflict.manager
                lines.append("- \(conflict.path)")
            }
            message = "Apply failed with \(conflicts.count) conflicts: " + lines.joined(separator: "\n")
        }
        return .status(409, reason: "Conflict", message: message, details: [
            "causes": .array(conflicts.map {
                ["reason": "FieldManagerConflict", "message": .string("conflict with \($0.manager.printed)"), "field": .string($0.path)]
            }),
        ])
    }
}
