/// A minimal protobuf reader for the Kubernetes protobuf bodies kubectl sends (`kubectl create
/// namespace|role|clusterrole|rolebinding|clusterrolebinding`, `auth can-i` and `auth can-i --list`), read into the
/// JSON the emulator works with. Only the fields those commands set are read: `metadata` (name, generateName,
/// namespace, labels, annotations), rules, subjects, role references, aggregation selectors by labels, a Namespace's
/// finalizers, and a review's attributes.
struct KubeEmulatorProtobuf {
    /// Every length-delimited field, in order (repeated fields appear once per element).
    let fields: [(number: Int, bytes: [UInt8])]

    init?(_ bytes: [UInt8]) {
        var fields: [(Int, [UInt8])] = []
        var index = 0
        func varint() -> UInt64? {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while index < bytes.count, shift < 64 {
                let byte = bytes[index]
                index += 1
                result |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
            }
            return nil
        }
        while index < bytes.count {
            guard let key = varint() else { return nil }
            switch key & 7 {
            case 0: guard varint() != nil else { return nil }
            case 1: index += 8
            case 2:
                guard let length = varint(), index + Int(length) <= bytes.count else { return nil }
                fields.append((Int(key >> 3), Array(bytes[index..<index + Int(length)])))
                index += Int(length)
            case 5: index += 4
            default: return nil
            }
        }
        guard index == bytes.count else { return nil }
        self.fields = fields
    }

    func strings(_ number: Int) -> [String] {
        self.fields.filter { $0.number == number }.map { String(decoding: $0.bytes, as: UTF8.self) }
    }

    func string(_ number: Int) -> String? { self.strings(number).last }

    func messages(_ number: Int) -> [KubeEmulatorProtobuf] {
        self.fields.filter { $0.number == number }.compactMap { KubeEmulatorProtobuf($0.bytes) }
    }

    func message(_ number: Int) -> KubeEmulatorProtobuf? { self.messages(number).last }

    /// A `map<string, string>` field (entries with key 1 and value 2).
    func map(_ number: Int) -> KubeEmulatorJSON? {
        let entries = self.messages(number)
        guard !entries.isEmpty else { return nil }
        var object: [String: KubeEmulatorJSON] = [:]
        for entry in entries { object[entry.string(1) ?? ""] = .string(entry.string(2) ?? "") }
        return .object(object)
    }

    /// Sets `key` to the strings of field `number`, when there are any.
    static func set(_ json: inout KubeEmulatorJSON, _ key: String, _ values: [String]) {
        if !values.isEmpty { json[key] = .array(values.map { .string($0) }) }
    }

    /// `metadata`: name 1, generateName 2, namespace 3, labels 11, annotations 12.
    var objectMeta: KubeEmulatorJSON {
        var json: KubeEmulatorJSON = [:]
        for (number, key) in [(1, "name"), (2, "generateName"), (3, "namespace")] {
            if let value = self.string(number), !value.isEmpty { json[key] = .string(value) }
        }
        if let labels = self.map(11) { json["labels"] = labels }
        if let annotations = self.map(12) { json["annotations"] = annotations }
        return json
    }

    /// A `PolicyRule`: verbs 1, apiGroups 2, resources 3, resourceNames 4, nonResourceURLs 5.
    var policyRule: KubeEmulatorJSON {
        var json: KubeEmulatorJSON = ["verbs": .array(self.strings(1).map { .string($0) })]
        Self.set(&json, "apiGroups", self.strings(2))
        Self.set(&json, "resources", self.strings(3))
        Self.set(&json, "resourceNames", self.strings(4))
        Self.set(&json, "nonResourceURLs", self.strings(5))
        return json
    }

    /// The object in a Kubernetes protobuf envelope as JSON, for the kinds kubectl's generators create; `nil` for
    /// others.
    static func object(_ bytes: [UInt8], kind: String, apiVersion: String) -> KubeEmulatorJSON? {
        guard bytes.starts(with: [0x6B, 0x38, 0x73, 0x00]),
              let unknown = KubeEmulatorProtobuf(Array(bytes.dropFirst(4))),
              let raw = unknown.fields.last(where: { $0.number == 2 })?.bytes,
              let message = KubeEmulatorProtobuf(raw) else { return nil }
        var json: KubeEmulatorJSON = ["kind": .string(kind), "apiVersion": .string(apiVersion),
                                      "metadata": message.message(1)?.objectMeta ?? [:]]
        switch kind {
        case "Namespace":
            if let spec = message.message(2) {
                var specJSON: KubeEmulatorJSON = [:]
                Self.set(&specJSON, "finalizers", spec.strings(1))
                json["spec"] = specJSON
            }
        case "Role", "ClusterRole":
            json["rules"] = .array(message.messages(2).map(\.policyRule))
            if kind == "ClusterRole", let aggregation = message.message(3) {
                let selectors: [KubeEmulatorJSON] = aggregation.messages(1).map { selector in
                    var json: KubeEmulatorJSON = [:]
                    if let labels = selector.map(1) { json["matchLabels"] = labels }
                    return json
                }
                json["aggregationRule"] = ["clusterRoleSelectors": .array(selectors)]
            }
        case "RoleBinding", "ClusterRoleBinding":
            json["subjects"] = .array(message.messages(2).map { subject in
                var json: KubeEmulatorJSON = ["kind": .string(subject.string(1) ?? ""), "name": .string(subject.string(3) ?? "")]
                if let group = subject.string(2), !group.isEmpty { json["apiGroup"] = .string(group) }
                if let namespace = subject.string(4), !namespace.isEmpty { json["namespace"] = .string(namespace) }
                return json
            })
            if let reference = message.message(3) {
                json["roleRef"] = ["apiGroup": .string(reference.string(1) ?? ""), "kind": .string(reference.string(2) ?? ""),
                                   "name": .string(reference.string(3) ?? "")]
            }
        case "SelfSubjectAccessReview":
            var spec: KubeEmulatorJSON = [:]
            if let attributes = message.message(2)?.message(1) {
                var resource: KubeEmulatorJSON = [:]
                for (number, name) in [(1, "namespace"), (2, "verb"), (3, "group"), (4, "version"), (5, "resource"),
                                       (6, "subresource"), (7, "name")] {
                    if let value = attributes.string(number) { resource[name] = .string(value) }
                }
                spec["resourceAttributes"] = resource
            }
            if let attributes = message.message(2)?.message(2) {
                var nonResource: KubeEmulatorJSON = [:]
                if let path = attributes.string(1) { nonResource["path"] = .string(path) }
                if let verb = attributes.string(2) { nonResource["verb"] = .string(verb) }
                spec["nonResourceAttributes"] = nonResource
            }
            json["spec"] = spec
        case "SelfSubjectRulesReview":
            var spec: KubeEmulatorJSON = [:]
            if let namespace = message.message(2)?.string(1) { spec["namespace"] = .string(namespace) }
            json["spec"] = spec
        default:
            return nil
        }
        return json
    }
}
