import Foundation
import NIOCore
import NIOFoundationCompat

/// A JSON value as the API server double stores and manipulates objects.
enum KubeEmulatorJSON: Codable, Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([KubeEmulatorJSON])
    case object([String: KubeEmulatorJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([KubeEmulatorJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: KubeEmulatorJSON].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Any `Encodable` turned into a JSON value.
    static func from(_ value: some Encodable) throws -> KubeEmulatorJSON {
        try JSONDecoder().decode(KubeEmulatorJSON.self, from: JSONEncoder().encode(value))
    }

    var data: Data { Data(buffer: self.buffer) }

    subscript(key: String) -> KubeEmulatorJSON? {
        get {
            if case .object(let members) = self { return members[key] }
            return nil
        }
        set {
            if case .object(var members) = self {
                members[key] = newValue
                self = .object(members)
            }
        }
    }

    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var objectValue: [String: KubeEmulatorJSON]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// `metadata.<key>` as a string.
    func metadataString(_ key: String) -> String? { self["metadata"]?[key]?.stringValue }

    /// Sets `metadata.<key>`, creating `metadata` if needed.
    mutating func setMetadata(_ key: String, _ value: KubeEmulatorJSON?) {
        var metadata = self["metadata"] ?? .object([:])
        if case .null = metadata { metadata = .object([:]) }
        metadata[key] = value
        self["metadata"] = metadata
    }

    /// `metadata.labels`.
    var labels: [String: String] {
        var result: [String: String] = [:]
        for (key, value) in self["metadata"]?["labels"]?.objectValue ?? [:] {
            result[key] = value.stringValue
        }
        return result
    }

    /// RFC 7386 JSON merge patch: `patch` applied to `self`.
    func mergePatched(with patch: KubeEmulatorJSON) -> KubeEmulatorJSON {
        guard case .object(let patchMembers) = patch else { return patch }
        var result = self.objectValue ?? [:]
        for (key, value) in patchMembers {
            if case .null = value {
                result.removeValue(forKey: key)
            } else {
                result[key] = (result[key] ?? .object([:])).mergePatched(with: value)
            }
        }
        return .object(result)
    }
}

extension KubeEmulatorJSON: ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral
{
    init(stringLiteral value: String) { self = .string(value) }
    init(arrayLiteral elements: KubeEmulatorJSON...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, KubeEmulatorJSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    init(integerLiteral value: Int64) { self = .integer(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
}
