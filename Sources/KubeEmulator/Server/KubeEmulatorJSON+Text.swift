import NIOCore
import TextEscaping

/// JSON text in and out, written for speed (every write through the double parses a body and writes the stored object
/// for the response and for watches): Foundation's `JSONDecoder` finds out each value's type by trying every type in
/// turn, which cost about a millisecond per object in debug builds.
extension KubeEmulatorJSON {
    /// A body that is not JSON.
    struct SyntaxError: Error, CustomStringConvertible {
        var offset: Int
        var problem: String
        var description: String { "invalid JSON at byte \(self.offset): \(self.problem)" }
    }

    /// Parses JSON as Go's `encoding/json` reads it into `interface{}` with `UseNumber` and the API machinery's
    /// number conversion: an integer that fits in 64 bits is an integer, any other number a float; a repeated key
    /// keeps its last value; invalid UTF-8 and lone surrogates become U+FFFD.
    static func parse(_ bytes: ByteBuffer) throws -> KubeEmulatorJSON {
        try bytes.withUnsafeReadableBytes { raw in
            var reader = KubeEmulatorJSONReader(bytes: raw)
            reader.skipWhitespace()
            let value = try reader.value(depth: 0)
            reader.skipWhitespace()
            guard reader.index == raw.count else { throw reader.error("data after the value") }
            return value
        }
    }

    /// Compact JSON, keys sorted (as Go's `encoding/json` sorts map keys), `/` unescaped.
    var buffer: ByteBuffer {
        var text = ""
        self.write(to: &text)
        return ByteBuffer(string: text)
    }

    /// Appends the compact JSON text of this value.
    func write(to text: inout String) {
        switch self {
        case .null: text += "null"
        case .bool(let value): text += value ? "true" : "false"
        case .integer(let value): text += String(value)
        case .number(let value): text += value.isFinite ? "\(value)" : "null"
        case .string(let value): JSONStringText.append(value, to: &text)
        case .array(let items):
            text += "["
            var first = true
            for item in items {
                if !first { text += "," }
                first = false
                item.write(to: &text)
            }
            text += "]"
        case .object(let members):
            text += "{"
            var first = true
            for (key, value) in members.sorted(by: { $0.key < $1.key }) {
                if !first { text += "," }
                first = false
                JSONStringText.append(key, to: &text)
                text += ":"
                value.write(to: &text)
            }
            text += "}"
        }
    }

}

/// A recursive-descent reader over the bytes of one JSON text.
private struct KubeEmulatorJSONReader {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    func error(_ problem: String) -> KubeEmulatorJSON.SyntaxError {
        KubeEmulatorJSON.SyntaxError(offset: self.index, problem: problem)
    }

    private var current: UInt8? { self.index < self.bytes.count ? self.bytes[self.index] : nil }

    mutating func skipWhitespace() {
        while let byte = self.current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { self.index += 1 }
    }

    private mutating func expect(_ literal: StaticString, _ value: KubeEmulatorJSON) throws -> KubeEmulatorJSON {
        let bytes = self.bytes
        let start = self.index
        let matches = literal.withUTF8Buffer { expected in
            start + expected.count <= bytes.count && expected.indices.allSatisfy { bytes[start + $0] == expected[$0] }
        }
        guard matches else { throw self.error("invalid literal") }
        self.index += literal.utf8CodeUnitCount
        return value
    }

    mutating func value(depth: Int) throws -> KubeEmulatorJSON {
        guard depth < 1000 else { throw self.error("nested too deeply") }
        switch self.current {
        case UInt8(ascii: "{")?:
            var members: [String: KubeEmulatorJSON] = [:]
            try self.elements(closedBy: UInt8(ascii: "}")) { reader in
                guard reader.current == UInt8(ascii: "\"") else { throw reader.error("expected a key") }
                let key = try reader.string()
                reader.skipWhitespace()
                guard reader.current == UInt8(ascii: ":") else { throw reader.error("expected ':'") }
                reader.index += 1
                reader.skipWhitespace()
                members[key] = try reader.value(depth: depth + 1)
            }
            return .object(members)
        case UInt8(ascii: "[")?:
            var items: [KubeEmulatorJSON] = []
            try self.elements(closedBy: UInt8(ascii: "]")) { reader in
                items.append(try reader.value(depth: depth + 1))
            }
            return .array(items)
        case UInt8(ascii: "\"")?:
            return .string(try self.string())
        case UInt8(ascii: "t")?: return try self.expect("true", .bool(true))
        case UInt8(ascii: "f")?: return try self.expect("false", .bool(false))
        case UInt8(ascii: "n")?: return try self.expect("null", .null)
        case UInt8(ascii: "-")?, UInt8(ascii: "0")?, UInt8(ascii: "1")?, UInt8(ascii: "2")?, UInt8(ascii: "3")?,
             UInt8(ascii: "4")?, UInt8(ascii: "5")?, UInt8(ascii: "6")?, UInt8(ascii: "7")?, UInt8(ascii: "8")?,
             UInt8(ascii: "9")?:
            return try self.number()
        default:
            throw self.error("expected a value")
        }
    }

    /// Reads the comma-separated elements of an object or array, from its opening bracket to `close`.
    private mutating func elements(closedBy close: UInt8, _ element: (inout Self) throws -> Void) throws {
        self.index += 1
        self.skipWhitespace()
        if self.current == close {
            self.index += 1
            return
        }
        while true {
            self.skipWhitespace()
            try element(&self)
            self.skipWhitespace()
            switch self.current {
            case UInt8(ascii: ",")?:
                self.index += 1
            case close?:
                self.index += 1
                return
            default:
                throw self.error("expected ',' or '\(Character(Unicode.Scalar(close)))'")
            }
        }
    }

    private mutating func digits() -> Int {
        let start = self.index
        while let byte = self.current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { self.index += 1 }
        return self.index - start
    }

    private mutating func number() throws -> KubeEmulatorJSON {
        let start = self.index
        if self.current == UInt8(ascii: "-") { self.index += 1 }
        let first = self.current
        let integerDigits = self.digits()
        guard integerDigits > 0, first != UInt8(ascii: "0") || integerDigits == 1 else { throw self.error("invalid number") }
        var integral = true
        if self.current == UInt8(ascii: ".") {
            self.index += 1
            integral = false
            guard self.digits() > 0 else { throw self.error("invalid number") }
        }
        if let byte = self.current, byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            self.index += 1
            integral = false
            if let sign = self.current, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { self.index += 1 }
            guard self.digits() > 0 else { throw self.error("invalid number") }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.index]), as: UTF8.self)
        if integral, let value = Int64(text) { return .integer(value) }
        guard let value = Double(text) else { throw self.error("invalid number") }
        return .number(value)
    }

    private mutating func hex4() throws -> UInt32 {
        guard self.index + 4 <= self.bytes.count else { throw self.error("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = self.bytes[self.index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw self.error("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            self.index += 1
        }
        return value
    }

    private mutating func string() throws -> String {
        self.index += 1
        let start = self.index
        // Fast path: no escapes.
        while let byte = self.current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
            guard byte >= 0x20 else { throw self.error("control character in string") }
            self.index += 1
        }
        guard let stop = self.current else { throw self.error("unterminated string") }
        if stop == UInt8(ascii: "\"") {
            self.index += 1
            return String(decoding: UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.index - 1]), as: UTF8.self)
        }
        var utf8 = Array(UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.index]))
        while let byte = self.current {
            self.index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escaped = self.current else { throw self.error("unterminated string") }
                self.index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escaped)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try self.hex4()
                    if (0xD800..<0xDC00).contains(code) {
                        let save = self.index
                        if self.index + 1 < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\\"),
                           self.bytes[self.index + 1] == UInt8(ascii: "u") {
                            self.index += 2
                            let low = try self.hex4()
                            if (0xDC00..<0xE000).contains(low) {
                                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                self.index = save
                                code = 0xFFFD
                            }
                        } else {
                            code = 0xFFFD
                        }
                    } else if (0xDC00..<0xE000).contains(code) {
                        code = 0xFFFD
                    }
                    utf8.append(contentsOf: String(Character(Unicode.Scalar(code)!)).utf8)
                default:
                    throw self.error("invalid escape")
                }
            default:
                guard byte >= 0x20 else { throw self.error("control character in string") }
                utf8.append(byte)
            }
        }
        throw self.error("unterminated string")
    }
}
