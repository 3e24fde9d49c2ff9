import NIOCore

extension KubeAPIEmulator {
    /// `/openapi/v3` and `/openapi/v3/<group-version>`: just enough OpenAPI v3 for kubectl.
    ///
    /// Each group-version document lists the `PATCH` operation of every resource with its
    /// `x-kubernetes-group-version-kind` and the `fieldValidation` query parameter. That tells `kubectl apply` the
    /// server validates fields itself (`fieldValidation=Strict`), so kubectl skips client-side schema validation,
    /// and builds strategic merge patches from its compiled-in types. Schemas are not served; `/openapi/v2` is 404.
    func openAPIResponse(_ segments: [String]) -> KubeEmulatorResponse {
        guard segments.count >= 2, segments[1] == "v3" else {
            return .status(404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        let groupVersions = Set(self.resourceTypes.map { $0.group.isEmpty ? "api/\($0.version)" : "apis/\($0.group)/\($0.version)" })
        if segments.count == 2 {
            var paths: [String: KubeEmulatorJSON] = [:]
            for groupVersion in groupVersions {
                paths[groupVersion] = ["serverRelativeURL": .string("/openapi/v3/\(groupVersion)?hash=0000")]
            }
            return .json(["paths": .object(paths)])
        }
        let requested = segments[2...].joined(separator: "/")
        guard groupVersions.contains(requested) else {
            return .status(404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        var paths: [String: KubeEmulatorJSON] = [:]
        for type in self.resourceTypes where (type.group.isEmpty ? "api/\(type.version)" : "apis/\(type.group)/\(type.version)") == requested
            && type.verbs.contains("patch") {
            let prefix = "/\(requested)" + (type.namespaced ? "/namespaces/{namespace}" : "")
            paths["\(prefix)/\(type.resource)/{name}"] = [
                "patch": [
                    "operationId": .string("patch\(type.kind)"),
                    "parameters": [
                        ["name": "dryRun", "in": "query", "schema": ["type": "string"]],
                        ["name": "fieldManager", "in": "query", "schema": ["type": "string"]],
                        ["name": "fieldValidation", "in": "query", "schema": ["type": "string"]],
                    ],
                    "responses": ["200": ["description": "OK"]],
                    "x-kubernetes-action": "patch",
                    "x-kubernetes-group-version-kind": [
                        "group": .string(type.group), "version": .string(type.version), "kind": .string(type.kind),
                    ],
                ],
            ]
        }
        return .json([
            "openapi": "3.0.0",
            "info": ["title": "Kubernetes", "version": .string(self.configuration.gitVersion)],
            "paths": .object(paths),
            "components": ["schemas": [:]],
        ])
    }
}
