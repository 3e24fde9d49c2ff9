import Foundation

/// Demo objects a sandbox seeds into a ``KubeAPIEmulator``: namespaces, a few running pods with log lines, a
/// ConfigMap and a Secret (so a user without rights on secrets is refused by RBAC, not told there are none).
///
/// ```swift
/// var configuration = KubeAPIEmulator.Configuration(tlsConfiguration: tls)
/// configuration.authorization = .rbac
/// configuration.exec = KubeEmulatorDemo.exec
/// configuration.additionalResources = KubeAPIEmulator.ResourceType.verrazzanoResources
/// let emulator = try await KubeAPIEmulator.start(configuration: configuration)
/// try emulator.seed(KubeEmulatorDemo.standard)
/// ```
public struct KubeEmulatorDemo: Sendable {
    /// A demo pod.
    public struct Pod: Sendable, Hashable {
        /// The namespace.
        public var namespace: String
        /// The name (also its `hostname` in ``KubeEmulatorDemo/exec``).
        public var name: String
        /// The image of its one container, `web`.
        public var image: String
        /// The port its container declares (what `kubectl port-forward` asks for).
        public var containerPort: Int
        /// Its log, one line each.
        public var logLines: [String]

        /// Creates a pod.
        public init(namespace: String, name: String, image: String = "ghcr.io/verrazzano/hello-web:1.0",
                    containerPort: Int = 8080, logLines: [String] = []) {
            self.namespace = namespace
            self.name = name
            self.image = image
            self.containerPort = containerPort
            self.logLines = logLines
        }
    }

    /// Namespaces to create (besides those every cluster has).
    public var namespaces: [String]
    /// Pods, stored as running.
    public var pods: [Pod]
    /// ConfigMaps: namespace, name and data.
    public var configMaps: [(namespace: String, name: String, data: [String: String])]
    /// Secrets (type `Opaque`): namespace, name and data (stored base64-encoded).
    public var secrets: [(namespace: String, name: String, data: [String: String])]

    /// Creates demo content.
    public init(namespaces: [String], pods: [Pod] = [],
                configMaps: [(namespace: String, name: String, data: [String: String])] = [],
                secrets: [(namespace: String, name: String, data: [String: String])] = []) {
        self.namespaces = namespaces
        self.pods = pods
        self.configMaps = configMaps
        self.secrets = secrets
    }

    /// The sandbox's demo: namespace `hello` with pods `hello-web-0` and `hello-web-1` (port 8080, a few log
    /// lines), ConfigMap `hello-web` and Secret `hello-web-credentials`.
    public static let standard = KubeEmulatorDemo(
        namespaces: ["default", "hello"],
        pods: (0..<2).map { index in
            Pod(namespace: "hello", name: "hello-web-\(index)", logLines: [
                "hello-web-\(index) starting",
                "listening on :8080",
                "GET / 200 (from 10.0.0.\(index + 10))",
            ])
        },
        configMaps: [(namespace: "hello", name: "hello-web", data: ["greeting": "Hello from Verrazzano"])],
        secrets: [(namespace: "hello", name: "hello-web-credentials", data: ["password": "not-a-real-password"])])

    /// What demo pods run: `echo ARGS`, `hostname` (the pod's name), `date`, `ls` (a few files), `false`;
    /// anything else fails with `command not found` (exit code 127).
    public static func exec(_ request: KubeAPIEmulator.ExecRequest) -> KubeAPIEmulator.ExecResult {
        switch request.command.first {
        case "echo": return .init(stdout: request.command.dropFirst().joined(separator: " ") + "\n")
        case "hostname": return .init(stdout: request.pod + "\n")
        case "date":
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "EEE MMM d HH:mm:ss 'UTC' yyyy"
            return .init(stdout: formatter.string(from: Date()) + "\n")
        case "ls": return .init(stdout: "bin\netc\nindex.html\nserver\n")
        case "false": return .init(exitCode: 1)
        case "true", nil: return .init()
        case let command?: return .init(stderr: "sh: \(command): command not found\n", exitCode: 127)
        }
    }
}

extension KubeAPIEmulator {
    /// Stores `demo`'s namespaces, pods (running, with their log lines), ConfigMaps and Secrets directly (no
    /// authorization; watches are notified).
    public func seed(_ demo: KubeEmulatorDemo) throws {
        for name in demo.namespaces {
            try self.upsert(KubeEmulatorJSON.object(["metadata": ["name": .string(name)], "status": ["phase": "Active"]]),
                            resource: "namespaces")
        }
        for pod in demo.pods {
            let object: KubeEmulatorJSON = [
                "metadata": ["name": .string(pod.name), "namespace": .string(pod.namespace), "labels": ["app": "hello-web"]],
                "spec": ["containers": [[
                    "name": "web", "image": .string(pod.image),
                    "ports": [["containerPort": .integer(Int64(pod.containerPort)), "protocol": "TCP"]],
                ]]],
                "status": [
                    "phase": "Running", "podIP": "10.0.0.1",
                    "conditions": [["type": "Ready", "status": "True"]],
                    "containerStatuses": [[
                        "name": "web", "image": .string(pod.image), "ready": .bool(true), "started": .bool(true), "restartCount": .integer(0),
                        "state": ["running": ["startedAt": .string(Self.now())]],
                    ]],
                ],
            ]
            try self.upsert(object, resource: "pods", namespace: pod.namespace)
            for line in pod.logLines { self.appendLog(namespace: pod.namespace, pod: pod.name, line: line) }
        }
        for map in demo.configMaps {
            try self.upsert(KubeEmulatorJSON.object([
                "metadata": ["name": .string(map.name), "namespace": .string(map.namespace)],
                "data": .object(map.data.mapValues { .string($0) }),
            ]), resource: "configmaps", namespace: map.namespace)
        }
        for secret in demo.secrets {
            try self.upsert(KubeEmulatorJSON.object([
                "metadata": ["name": .string(secret.name), "namespace": .string(secret.namespace)],
                "type": "Opaque",
                "data": .object(secret.data.mapValues { .string(Data($0.utf8).base64EncodedString()) }),
            ]), resource: "secrets", namespace: secret.namespace)
        }
    }
}
