import Foundation
import NIOCore

/// An RFC 6902 JSON patch (`application/json-patch+json`), applied as the API server applies one
/// (gopkg.in/evanphx/json-patch.v4): `add`, `remove`, `replace`, `move`, `copy` and `test`, with RFC 6901 paths
/// (`~0`, `~1`; `-` appends to an array).
struct KubeEmulatorJSONPatch {
    /// Why a patch cannot be read (400) or applied (422).
    enum Failure: Error {
        case malformed(String)
        case notApplicable(String)
    }

    private struct Operation {
        var op: String
        var path: [String]
        var from: [String]?
        var value: KubeEmulatorJSON?
    }

    private let operations: [Operation]

    /// Reads a patch: a JSON array of operation objects.
    init(_ body: ByteBuffer) throws(Failure) {
        guard let parsed = try? KubeEmulatorJSON.parse(body), let items = parsed.arrayValue else {
            throw .malformed("json: cannot unmarshal the patch into Go value of type jsonpatch.Patch")
        }
        var operations: [Operation] = []
        for item in items {
            guard let op = item["op"]?.stringValue, let path = item["path"]?.stringValue else {
                throw .malformed("operation is missing op or path: \(String(buffer: item.buffer))")
            }
            var from: [String]?
            if let text = item["from"]?.stringValue { from = try Self.pointer(text) }
            operations.append(Operation(op: op, path: try Self.pointer(path), from: from, value: item["value"]))
        }
        self.operations = operations
    }

    /// `document` with every operation applied in order; fails on the first that does not apply.
    func applied(to document: KubeEmulatorJSON) throws(Failure) -> KubeEmulatorJSON {
        var document = document
        for operation in self.operations {
            switch operation.op {
            case "add":
                guard let value = operation.value else { throw .notApplicable("add operation has no value") }
                document = try Self.adding(value, at: operation.path[...], in: document)
            case "remove":
                document = try Self.removing(operation.path[...], from: document).document
            case "replace":
                guard let value = operation.value else { throw .notApplicable("replace operation has no value") }
                _ = try Self.value(at: operation.path[...], in: document)
                document = try Self.removing(operation.path[...], from: document).document
                document = try Self.adding(value, at: operation.path[...], in: document)
            case "move":
                guard let from = operation.from else { throw .notApplicable("move operation has no from") }
                let (removed, value) = try Self.removing(from[...], from: document)
                document = try Self.adding(value, at: operation.path[...], in: removed)
            case "copy":
                guard let from = operation.from else { throw .notApplicable("copy operation has no from") }
                document = try Self.adding(try Self.value(at: from[...], in: document), at: operation.path[...], in: document)
            case "test":
                guard try Self.value(at: operation.path[...], in: document) == (operation.value ?? .null) else {
                    throw .notApplicable("testing value \(operation.path) failed")
                }
            default:
                throw .notApplicable("Unexpected kind: \(operation.op)")
            }
        }
        return document
    }

    /// The reference tokens of a JSON pointer.
    private static func pointer(_ text: String) throws(Failure) -> [String] {
        guard !text.isEmpty else { return [] }
        guard text.hasPrefix("/") else { throw .malformed("JSON pointer must be empty or start with a \"/\": \(text)") }
        return text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    private static func index(_ token: String, count: Int, appending: Bool) throws(Failure) -> Int {
        if appending, token == "-" { return count }
        guard let index = Int(token), index >= 0, index < count + (appending ? 1 : 0) else {
            throw .notApplicable("Unable to access invalid index: \(token)")
        }
        return index
    }

    private static func value(at path: ArraySlice<String>, in document: KubeEmulatorJSON) throws(Failure) -> KubeEmulatorJSON {
        guard let token = path.first else { return document }
        let rest = path.dropFirst()
        switch document {
        case .object(let members):
            guard let member = members[token] else { throw .notApplicable("doc is missing key: \(token)") }
            return try self.value(at: rest, in: member)
        case .array(let items):
            return try self.value(at: rest, in: items[try self.index(token, count: items.count, appending: false)])
        default:
            throw .notApplicable("doc is missing path: \(token)")
        }
    }

    private static func adding(_ value: KubeEmulatorJSON, at path: ArraySlice<String>, in document: KubeEmulatorJSON) throws(Failure) -> KubeEmulatorJSON {
        guard let token = path.first else { return value }
        let rest = path.dropFirst()
        switch document {
        case .object(var members):
            if rest.isEmpty {
                members[token] = value
            } else {
                guard let member = members[token] else { throw .notApplicable("add operation does not apply: doc is missing path: \(token)") }
                members[token] = try self.adding(value, at: rest, in: member)
            }
            return .object(members)
        case .array(var items):
            let index = try self.index(token, count: items.count, appending: rest.isEmpty)
            if rest.isEmpty {
                items.insert(value, at: index)
            } else {
                items[index] = try self.adding(value, at: rest, in: items[index])
            }
            return .array(items)
        default:
            throw .notApplicable("add operation does not apply: doc is missing path: \(token)")
        }
    }

    private static func removing(_ path: ArraySlice<String>, from document: KubeEmulatorJSON) throws(Failure) -> (document: KubeEmulatorJSON, removed: KubeEmulatorJSON) {
        guard let token = path.first else { throw .notApplicable("unable to remove the whole document") }
        let rest = path.dropFirst()
        switch document {
        case .object(var members):
            guard let member = members[token] else { throw .notApplicable("Unable to remove nonexistent key: \(token): missing value") }
            if rest.isEmpty {
                members[token] = nil
                return (.object(members), member)
            }
            let (changed, removed) = try self.removing(rest, from: member)
            members[token] = changed
            return (.object(members), removed)
        case .array(var items):
            let index = try self.index(token, count: items.count, appending: false)
            if rest.isEmpty {
                let removed = items.remove(at: index)
                return (.array(items), removed)
            }
            let (changed, removed) = try self.removing(rest, from: items[index])
            items[index] = changed
            return (.array(items), removed)
        default:
            throw .notApplicable("remove operation does not apply: doc is missing path: \(token)")
        }
    }
}
