import Foundation
import Testing

/// A vzauth container of a rendered Deployment, laid out on this machine the way a kubelet lays out its pod: each
/// mounted volume becomes a folder (a ConfigMap's keys and a Secret's keys as files, an emptyDir empty), the mount
/// paths in the container's arguments and in its ConfigMaps point at those folders, and its environment is set
/// (`fieldRef`s answered with a made-up pod). What the test replaces is explicit: the placeholders an operator
/// replaces (issuer, hosts), and the addresses it listens on.
struct ManifestContainer {
    /// The Deployment, as `kubectl kustomize` rendered it.
    let deployment: DeployManifestTests.Document
    /// The container running `/vzauth`.
    let container: [String: Any]
    /// Every object the kustomization rendered (where ConfigMaps are found).
    let documents: [DeployManifestTests.Document]

    /// The container of Deployment `name` in `kustomization` (relative to `deploy/`) whose command is `/vzauth`.
    init(kustomization: String, deployment name: String) throws {
        self.documents = try DeployManifestTests.rendered(kustomization)
        self.deployment = try #require(self.documents.first { $0.kind == "Deployment" && $0.name == name },
                                       "\(kustomization) has no Deployment \(name)")
        let containers = DeployManifestTests.list(DeployManifestTests.value(self.deployment.object, "spec.template.spec.containers"))
            .compactMap(DeployManifestTests.map)
        self.container = try #require(containers.first { DeployManifestTests.strings($0["command"]).first == "/vzauth" },
                                      "\(name) has no container running /vzauth")
    }

    /// What the pod's process gets: its arguments after `/vzauth` and the environment the manifest sets.
    struct Launch {
        var arguments: [String]
        var environment: [String: String]
        /// The mount path → folder each volume became.
        var folders: [String: URL]
        /// The command that starts the binary as the pod's security context says (user, group, no capabilities, no
        /// new privileges), when this process may switch user; empty otherwise (already unprivileged).
        var launcher: [String]
    }

    /// The user and group the container runs as (`runAsUser`/`runAsGroup` of the container, else of the pod).
    var runAs: (user: Int, group: Int)? {
        let pod = DeployManifestTests.map(DeployManifestTests.value(self.deployment.object, "spec.template.spec.securityContext")) ?? [:]
        let own = DeployManifestTests.map(self.container["securityContext"]) ?? [:]
        guard let user = (own["runAsUser"] ?? pod["runAsUser"]) as? Int else { return nil }
        return (user, ((own["runAsGroup"] ?? pod["runAsGroup"]) as? Int) ?? user)
    }

    /// `setpriv` to the container's user and group with every capability dropped (the manifests drop ALL and forbid
    /// privilege escalation), when running as root; a capability the binary needs by mistake then fails here as it
    /// would in the pod.
    var unprivilegedLauncher: [String] {
        guard getuid() == 0, let runAs, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return [] }
        let dropped = DeployManifestTests.strings(DeployManifestTests.value(self.container, "securityContext.capabilities.drop"))
        #expect(dropped == ["ALL"], "\(self.deployment.name) should drop every capability")
        return ["/usr/bin/setpriv", "--reuid=\(runAs.user)", "--regid=\(runAs.group)", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    }

    /// Creates the volumes' folders under `directory` and returns the process's arguments and environment.
    ///
    /// - Parameters:
    ///   - secrets: The Secrets the pod mounts, by name: key → content (the operator creates them before applying).
    ///   - replacing: Substring replacements applied to the arguments and the ConfigMaps' contents (placeholders).
    func layOut(in directory: URL, secrets: [String: [String: Data]], replacing: [(String, String)]) throws -> Launch {
        let podSpec = DeployManifestTests.map(DeployManifestTests.value(self.deployment.object, "spec.template.spec")) ?? [:]
        let volumes = DeployManifestTests.list(podSpec["volumes"]).compactMap(DeployManifestTests.map)
        let mounts = DeployManifestTests.list(self.container["volumeMounts"]).compactMap(DeployManifestTests.map)
        var folders: [String: URL] = [:]
        var configMapFiles: [URL] = []
        for mount in mounts {
            let name = try #require(mount["name"] as? String)
            let mountPath = try #require(mount["mountPath"] as? String)
            let volume = try #require(volumes.first { $0["name"] as? String == name }, "volume \(name) is mounted but not declared")
            let folder = directory.appendingPathComponent("volumes/\(name)", isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            folders[mountPath] = folder
            if let configMap = DeployManifestTests.map(volume["configMap"]) {
                let configMapName = try #require(configMap["name"] as? String)
                let object = try #require(self.documents.first { $0.kind == "ConfigMap" && $0.name == configMapName },
                                          "ConfigMap \(configMapName) is mounted but not in the kustomization")
                let data = (DeployManifestTests.map(object.object["data"]) ?? [:]).compactMapValues { ($0 as? String).map { Data($0.utf8) } }
                configMapFiles += try Self.project(data, items: configMap["items"], into: folder, source: "ConfigMap \(configMapName)")
            } else if let secret = DeployManifestTests.map(volume["secret"]) {
                let secretName = try #require(secret["secretName"] as? String)
                let data = try #require(secrets[secretName], "the test gives no Secret \(secretName), which \(self.deployment.name) mounts")
                _ = try Self.project(data, items: secret["items"], into: folder, source: "Secret \(secretName)")
            } else {
                #expect(volume["emptyDir"] != nil, "volume \(name): only configMap, secret and emptyDir are laid out")
            }
        }

        // Mount paths become markers first and folders last, so that a folder (under /tmp) is not rewritten again by
        // a mount at /tmp; the longest mount path first, so /etc/vzauth/config is not taken for /etc/vzauth.
        let mountPaths = folders.keys.sorted { $0.count > $1.count }
        func rewrite(_ text: String) -> String {
            var result = replacing.reduce(text) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
            for (index, mountPath) in mountPaths.enumerated() {
                result = result.replacingOccurrences(of: mountPath + "/", with: "\u{0}mount\(index)\u{0}")
            }
            for (index, mountPath) in mountPaths.enumerated() {
                result = result.replacingOccurrences(of: "\u{0}mount\(index)\u{0}", with: folders[mountPath]!.path + "/")
            }
            return result
        }
        for file in configMapFiles {
            try rewrite(String(decoding: try Data(contentsOf: file), as: UTF8.self)).write(to: file, atomically: true, encoding: .utf8)
        }

        let command = DeployManifestTests.strings(self.container["command"]) + DeployManifestTests.strings(self.container["args"])
        var environment: [String: String] = [:]
        for variable in DeployManifestTests.list(self.container["env"]).compactMap(DeployManifestTests.map) {
            let name = try #require(variable["name"] as? String)
            if let value = variable["value"] as? String {
                environment[name] = value
            } else if let field = DeployManifestTests.value(variable, "valueFrom.fieldRef.fieldPath") as? String {
                let answers = ["metadata.name": "\(self.deployment.name)-7d9f8-abcde",
                               "metadata.namespace": self.deployment.namespace ?? "default"]
                environment[name] = try #require(answers[field], "env \(name): fieldRef \(field) is not answered by the test")
            } else {
                Issue.record("env \(name): only value and fieldRef are laid out")
            }
        }
        return Launch(arguments: command.dropFirst().map(rewrite), environment: environment, folders: folders,
                      launcher: self.unprivilegedLauncher)
    }

    /// Writes `data` into `folder` as a volume does: every key, or only `items` (key → path).
    private static func project(_ data: [String: Data], items: Any?, into folder: URL, source: String) throws -> [URL] {
        let selected = DeployManifestTests.list(items).compactMap(DeployManifestTests.map)
        let files: [(key: String, path: String)] = selected.isEmpty
            ? data.keys.sorted().map { ($0, $0) }
            : try selected.map { (try #require($0["key"] as? String), try #require($0["path"] as? String)) }
        return try files.map { key, path in
            let content = try #require(data[key], "\(source) has no key \(key)")
            let file = folder.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try content.write(to: file)
            return file
        }
    }
}
