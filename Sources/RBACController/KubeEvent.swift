public import KubeClient

/// A core `v1` Event: what a controller did to (or found about) an object, shown by `kubectl describe`.
public struct KubeEvent: Codable, Sendable, Hashable {
    /// Where Events are served.
    public static let resource = KubeResource(group: "", version: "v1", resource: "events", namespaced: true)

    /// The object the Event is about.
    public struct InvolvedObject: Codable, Sendable, Hashable {
        /// Its `apiVersion`.
        public var apiVersion: String?
        /// Its kind.
        public var kind: String
        /// Its namespace.
        public var namespace: String?
        /// Its name.
        public var name: String
        /// Its UID.
        public var uid: String?

        /// Creates a reference.
        public init(apiVersion: String?, kind: String, namespace: String?, name: String, uid: String?) {
            self.apiVersion = apiVersion
            self.kind = kind
            self.namespace = namespace
            self.name = name
            self.uid = uid
        }
    }

    /// Who reported the Event.
    public struct Source: Codable, Sendable, Hashable {
        /// The component, e.g. `vzauth-rbac-controller`.
        public var component: String?
    }

    /// `v1`.
    public var apiVersion: String = "v1"
    /// `Event`.
    public var kind: String = "Event"
    /// The metadata (a generated name in the involved object's namespace).
    public var metadata: KubeObjectMeta
    /// The object concerned.
    public var involvedObject: InvolvedObject
    /// A short CamelCase reason, e.g. `Created`.
    public var reason: String
    /// What happened.
    public var message: String
    /// `Normal` or `Warning`.
    public var type: String
    /// Who reported it.
    public var source: Source
    /// When it first happened (RFC 3339).
    public var firstTimestamp: String?
    /// When it last happened (RFC 3339).
    public var lastTimestamp: String?
    /// How often it happened.
    public var count: Int?

    /// Creates an Event about `object`.
    public init(about object: InvolvedObject, reason: String, message: String, warning: Bool, component: String, time: String) {
        var metadata = KubeObjectMeta(namespace: object.namespace ?? "default")
        metadata.generateName = "\(object.name)."
        self.metadata = metadata
        self.involvedObject = object
        self.reason = reason
        self.message = message
        self.type = warning ? "Warning" : "Normal"
        self.source = Source(component: component)
        self.firstTimestamp = time
        self.lastTimestamp = time
        self.count = 1
    }
}
