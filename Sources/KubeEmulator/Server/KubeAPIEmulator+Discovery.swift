import Synchronization
import NIOCore
import NIOHTTP1

extension KubeAPIEmulator {
    /// Answers `/version`, health, `/metrics`, OpenAPI and the legacy discovery documents; `nil` for other paths.
    func nonResourceResponse(_ request: KubeEmulatorRequest, user: User) throws -> KubeEmulatorResponse? {
        let segments = request.segments
        let isDiscovery = segments.isEmpty
            || ["version", "healthz", "livez", "readyz", "metrics", "openapi"].contains(segments[0])
            || segments == ["api"] || segments == ["apis"] || segments == ["api", "v1"]
            || (segments.first == "apis" && (segments.count == 2 || segments.count == 3))
        guard isDiscovery else { return nil }
        guard request.method == .GET || request.method == .HEAD else {
            return .status(405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
        }
        switch segments.first {
        case nil:
            let paths = ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/metrics", "/openapi/v2", "/readyz", "/version"]
                + self.groupVersions.map { "/apis/\($0.group)/\($0.version)" }
            return .json(["paths": .array(paths.map { .string($0) })])
        case "version":
            return .json([
                "major": "1", "minor": .string(self.minorVersion), "gitVersion": .string(self.configuration.gitVersion),
                "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
                "buildDate": "2024-12-11T00:00:00Z", "goVersion": "go1.23.3", "compiler": "gc", "platform": "linux/amd64",
            ])
        case "healthz", "livez", "readyz":
            return .text("ok")
        case "metrics":
            let access = AccessRequest(user: user, verb: "get", group: "", resource: "", subresource: nil,
                                       namespace: nil, name: nil, path: request.path)
            guard self.allows(access) else {
                return .status(403, reason: "Forbidden",
                               message: "forbidden: User \"\(user.name)\" cannot get path \"\(request.path)\"")
            }
            let count = self.state.withLock { $0.requests.count }
            return .full(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: ByteBuffer(string: """
                # HELP kube_api_server_double_requests_total Requests received by the Kubernetes API server double.
                # TYPE kube_api_server_double_requests_total counter
                kube_api_server_double_requests_total \(count)

                """))
        case "openapi":
            return self.openAPIResponse(segments)
        case "api" where segments.count == 1:
            return .json([
                "kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string("127.0.0.1:\(self.port)")]],
            ])
        case "api":
            return .json(self.resourceList(group: "", version: "v1"))
        case "apis" where segments.count == 1:
            return .json(["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(self.groupNames.map(self.apiGroup))])
        case "apis" where segments.count == 2:
            guard self.groupNames.contains(segments[1]) else {
                return .status(404, reason: "NotFound", message: "the server could not find the requested resource")
            }
            var group = self.apiGroup(segments[1])
            group["kind"] = "APIGroup"
            group["apiVersion"] = "v1"
            return .json(group)
        default:
            guard self.groupVersions.contains(where: { $0.group == segments[1] && $0.version == segments[2] }) else {
                return .status(404, reason: "NotFound", message: "the server could not find the requested resource")
            }
            return .json(self.resourceList(group: segments[1], version: segments[2]))
        }
    }

    private var minorVersion: String {
        let parts = self.configuration.gitVersion.dropFirst().split(separator: ".")
        return parts.count > 1 ? String(parts[1]) : "32"
    }

    /// The named groups (not the core group), in first-seen order.
    private var groupNames: [String] {
        var names: [String] = []
        for type in self.resourceTypes where !type.group.isEmpty && !names.contains(type.group) {
            names.append(type.group)
        }
        return names
    }

    private var groupVersions: [(group: String, version: String)] {
        var result: [(group: String, version: String)] = []
        for type in self.resourceTypes where !type.group.isEmpty
            && !result.contains(where: { $0.group == type.group && $0.version == type.version }) {
            result.append((type.group, type.version))
        }
        return result
    }

    private func apiGroup(_ name: String) -> KubeEmulatorJSON {
        let versions: [KubeEmulatorJSON] = self.groupVersions.filter { $0.group == name }.map {
            ["groupVersion": .string("\($0.group)/\($0.version)"), "version": .string($0.version)]
        }
        return ["name": .string(name), "versions": .array(versions), "preferredVersion": versions.first ?? [:]]
    }

    private func resourceList(group: String, version: String) -> KubeEmulatorJSON {
        var resources: [KubeEmulatorJSON] = []
        for type in self.resourceTypes where type.group == group && type.version == version {
            var entry: KubeEmulatorJSON = [
                "name": .string(type.resource), "singularName": .string(type.singular),
                "namespaced": .bool(type.namespaced), "kind": .string(type.kind),
                "verbs": .array(type.verbs.map { .string($0) }),
            ]
            if !type.shortNames.isEmpty { entry["shortNames"] = .array(type.shortNames.map { .string($0) }) }
            resources.append(entry)
            for subresource in type.subresources {
                let verbs: [KubeEmulatorJSON] = switch subresource {
                case "status": ["get", "patch", "update"]
                case "log": ["get"]
                default: ["create", "get"]
                }
                let kind = ["exec": "PodExecOptions", "attach": "PodAttachOptions", "portforward": "PodPortForwardOptions"][subresource]
                resources.append([
                    "name": .string("\(type.resource)/\(subresource)"), "singularName": "",
                    "namespaced": .bool(type.namespaced), "kind": .string(kind ?? type.kind), "verbs": .array(verbs),
                ])
            }
        }
        let groupVersion = group.isEmpty ? version : "\(group)/\(version)"
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(groupVersion), "resources": .array(resources)]
    }
}
