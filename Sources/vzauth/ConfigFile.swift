import Foundation
import Yams
import YAMLSupport

/// Settings read from a `--config` YAML file: a flat mapping whose keys are the flag names without dashes in front
/// (`oidc-issuer: https://...`). Repeatable flags take a list (or a single value).
struct ConfigFile {
    private var values: [String: Any]
    /// The file's text, for settings that are structures (decoded with ``decode(_:key:)``).
    private var text = ""
    private(set) var problems: [String] = []
    private let path: String

    /// An empty file: every lookup finds nothing.
    init() {
        values = [:]
        path = ""
    }

    /// Reads and parses `path`; a file that cannot be read or is not a mapping is a problem, reported by
    /// ``problems``.
    init(path: String) {
        self.path = path
        values = [:]
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            problems.append("--config \(path): no such file")
            return
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            problems.append("--config \(path): cannot read it (permission denied)")
            return
        }
        guard let decoded = String(data: data, encoding: .utf8) else {
            problems.append("--config \(path): not UTF-8 text")
            return
        }
        text = decoded
        do {
            let loaded = try Yams.load(yaml: text)
            if loaded == nil {
                values = [:]
            } else if let mapping = loaded as? [String: Any] {
                values = mapping
            } else {
                problems.append("\(path): the configuration must be a YAML mapping of setting names to values")
            }
        } catch {
            problems.append("--config \(path): not valid YAML: \(YAMLErrorText.describe(error))")
        }
    }

    /// A single text value.
    mutating func string(_ key: String) -> String? {
        guard let value = lookup(key) else { return nil }
        switch value {
        case let text as String: return text
        case let number as Int: return String(number)
        case let number as Double: return String(number)
        case let flag as Bool: return String(flag)
        default:
            problems.append("\(path): \(key) must be a single value")
            return nil
        }
    }

    /// A list of text values (a single value counts as a list of one).
    mutating func strings(_ key: String) -> [String]? {
        guard let value = lookup(key) else { return nil }
        if let list = value as? [Any] {
            var result: [String] = []
            for item in list {
                if let text = item as? String { result.append(text) } else { result.append("\(item)") }
            }
            return result
        }
        return string(key).map { [$0] }
    }

    /// A number.
    mutating func double(_ key: String) -> Double? {
        guard let value = lookup(key) else { return nil }
        switch value {
        case let number as Int: return Double(number)
        case let number as Double: return number
        case let text as String:
            if let number = Double(text) { return number }
            fallthrough
        default:
            problems.append("\(path): \(key) must be a number")
            return nil
        }
    }

    /// A whole number (written as one, or as text).
    mutating func int(_ key: String) -> Int? {
        guard let value = lookup(key) else { return nil }
        if let number = value as? Int ?? (value as? String).flatMap({ Int($0) }) { return number }
        problems.append("\(path): \(key) must be a whole number")
        return nil
    }

    /// A boolean.
    mutating func bool(_ key: String) -> Bool? {
        guard let value = lookup(key) else { return nil }
        if let flag = value as? Bool { return flag }
        problems.append("\(path): \(key) must be true or false")
        return nil
    }

    /// A structured setting: `T` decoded from the whole file (it reads its own member, `key`), or `nil` when the
    /// file has no `key`. A value that does not decode is a problem naming the key.
    mutating func decode<T: Decodable>(_ type: T.Type, key: String) -> T? {
        guard lookup(key) != nil else { return nil }
        do {
            return try YAMLDecoder().decode(T.self, from: text)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            var at = ""
            for step in context.codingPath {
                if let index = step.intValue { at += "[\(index)]" } else { at += (at.isEmpty ? "" : ".") + step.stringValue }
            }
            problems.append("\(path): \(at.isEmpty ? key : at): \(context.debugDescription)")
        } catch {
            problems.append("\(path): \(key) cannot be read: \(error)")
        }
        return nil
    }

    /// Reports keys that are not settings (most likely typos).
    mutating func reportUnknownKeys(known: Set<String>) {
        for key in values.keys.sorted() where !known.contains(key) {
            problems.append("\(path): unknown setting \(key)")
        }
    }

    private mutating func lookup(_ key: String) -> Any? {
        guard let value = values[key], !(value is NSNull) else { return nil }
        return value
    }
}
