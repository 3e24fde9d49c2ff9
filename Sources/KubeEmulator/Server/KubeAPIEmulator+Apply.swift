import Foundation
import NIOCore
import NIOHTTP1

extension KubeAPIEmulator {
    /// Server-side apply: `PATCH` with `Content-Type: application/apply-patch+yaml`.
    ///
    /// The body is YAML (JSON is YAML), read as the API server reads it (400 when it cannot be: e.g. `\/` in a
    /// double-quoted string, which go-yaml v2 does not know). `fieldManager` is required (422),
    /// the body's `apiVersion` and `kind` must be the route's (400), and its `metadata.name`, if set, the URL's
    /// (400). A missing object is created (201, `ADDED`) like a `POST`. An existing one gets the configuration
    /// merged in (200, `MODIFIED`, or nothing at all when that changes nothing): maps merge recursively, lists and
    /// scalars in the configuration replace the stored ones, fields the configuration leaves out are kept.
    ///
    /// Field ownership is simplified (``KubeEmulatorFieldOwnership``): the double remembers which manager applied or
    /// updated each leaf field (lists as a whole), and an apply that would change a field another manager owns fails
    /// with the API server's 409 `Apply failed with N conflict(s)` unless `force=true`, which takes the field over.
    /// Fields a manager stops applying are not removed (the API server removes them when no other manager owns them).
    /// A non-empty `metadata.resourceVersion` in the body is a precondition (409 Conflict). For types with the
    /// `status` subresource, applying to the main resource ignores `status` and applying to `status` changes only
    /// `status`.
    func apply(_ request: KubeEmulatorRequest, route: KubeEmulatorResourceRoute) throws -> KubeEmulatorResponse {
        let type = route.type
        let name = route.name ?? ""
        let options = try Self.writeOptions(request, kind: "PatchOptions", apply: true)
        let configuration = try Self.applyConfiguration(request.body)
        if configuration["metadata"]?["managedFields"] != nil {
            return .badRequest("metadata.managedFields must be nil")
        }
        let apiVersion = configuration["apiVersion"]?.stringValue ?? ""
        guard apiVersion == type.apiVersion else {
            return .badRequest("Incorrect version specified in apply patch. Specified patch version: \(apiVersion), expected: \(type.apiVersion)")
        }
        let kind = configuration["kind"]?.stringValue ?? ""
        guard kind == type.kind else {
            return .badRequest("Incorrect kind specified in apply patch. Specified patch kind: \(kind), expected: \(type.kind)")
        }
        if let bodyName = configuration.metadataString("name"), bodyName != name {
            return .badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
        try Self.checkNamespace(configuration, route: route)
        let manager = options.manager(of: type, subresource: route.subresource, applies: true)
        let written = try self.write(type, namespace: route.namespace, name: name, subresource: route.subresource,
                                     dryRun: options.dryRun,
                                     ownership: .apply(manager, configuration: configuration, force: options.force),
                                     check: request.rbacWriteCheck) { existing in
            guard let existing else {
                if route.subresource != nil { throw KubeEmulatorFailure(response: .notFound(type, name: name)) }
                return configuration
            }
            var merged = existing.applied(configuration)
            merged.setMetadata("resourceVersion", configuration["metadata"]?["resourceVersion"])
            return merged
        }
        return .json(written.object, status: written.outcome == .created ? .created : .ok)
    }

    /// The apply body read as kube-apiserver reads it (see ``KubeEmulatorYAML``): YAML or JSON, with go-yaml v2's
    /// escapes and plain-scalar typing; 400 `error decoding YAML: ...` (the API server's `applyPatcher` wording)
    /// when it cannot be read.
    private static func applyConfiguration(_ body: ByteBuffer) throws -> KubeEmulatorJSON {
        do {
            return .object(try KubeEmulatorYAML.object(body))
        } catch {
            throw KubeEmulatorFailure(response: .badRequest("error decoding YAML: \(error.message)"))
        }
    }
}
