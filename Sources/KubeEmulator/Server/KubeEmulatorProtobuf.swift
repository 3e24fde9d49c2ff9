/// A minimal protobuf reader for the few Kubernetes protobuf bodies the double understands
/// (kubectl sends `SelfSubjectAccessReview` as `application/vnd.kubernetes.protobuf`).
struct KubeEmulatorProtobuf {
    /// The length-delimited fields of a message, by field number (last occurrence wins).
    let fields: [Int: [UInt8]]

    init?(_ bytes: [UInt8]) {
        var fields: [Int: [UInt8]] = [:]
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
            case 0:
                guard varint() != nil else { return nil }
            case 1:
                index += 8
            case 2:
                guard let length = varint(), index + Int(length) <= bytes.count else { return nil }
                fields[Int(key >> 3)] = Array(bytes[index..<index + Int(length)])
                index += Int(length)
            case 5:
                index += 4
            default:
                return nil
            }
        }
        guard index == bytes.count else { return nil }
        self.fields = fields
    }

    /// The Kubernetes protobuf envelope (`k8s\0` + `runtime.Unknown`): the raw object bytes.
    static func unwrapEnvelope(_ bytes: [UInt8]) -> KubeEmulatorProtobuf? {
        guard bytes.starts(with: [0x6B, 0x38, 0x73, 0x00]),
              let unknown = KubeEmulatorProtobuf(Array(bytes.dropFirst(4))),
              let raw = unknown.fields[2]
        else { return nil }
        return KubeEmulatorProtobuf(raw)
    }

    func message(_ field: Int) -> KubeEmulatorProtobuf? {
        self.fields[field].flatMap { KubeEmulatorProtobuf($0) }
    }

    func string(_ field: Int) -> String? {
        self.fields[field].map { String(decoding: $0, as: UTF8.self) }
    }

    /// A `SelfSubjectAccessReview` as the JSON the double works with.
    static func selfSubjectAccessReview(_ bytes: [UInt8]) -> KubeEmulatorJSON? {
        guard let review = Self.unwrapEnvelope(bytes), let spec = review.message(2) else { return nil }
        var specJSON: KubeEmulatorJSON = [:]
        if let attributes = spec.message(1) {
            var json: KubeEmulatorJSON = [:]
            for (number, name) in [(1, "namespace"), (2, "verb"), (3, "group"), (4, "version"), (5, "resource"),
                                   (6, "subresource"), (7, "name")] {
                if let value = attributes.string(number) { json[name] = .string(value) }
            }
            specJSON["resourceAttributes"] = json
        }
        if let attributes = spec.message(2) {
            var json: KubeEmulatorJSON = [:]
            if let path = attributes.string(1) { json["path"] = .string(path) }
            if let verb = attributes.string(2) { json["verb"] = .string(verb) }
            specJSON["nonResourceAttributes"] = json
        }
        return ["kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1", "spec": specJSON]
    }
}
