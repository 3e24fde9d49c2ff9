/// A small, strict RFC 8259 parser for token headers and claims.
///
/// Stricter than `JSONSerialization`: duplicate member names are an error (a classic JWT confusion vector),
/// so are invalid UTF-8, lone surrogates, raw control characters in strings, leading zeros, trailing garbage
/// and nesting deeper than ``maximumDepth``.
struct StrictJSONParser {
    static let maximumDepth = 32

    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses one complete document (surrounding whitespace allowed).
    mutating func parseDocument() -> StrictJSONValue? {
        self.skipWhitespace()
        guard let value = self.parseValue(depth: 0) else {
            return nil
        }
        self.skipWhitespace()
        return self.index == self.bytes.count ? value : nil
    }

    private var current: UInt8? {
        self.index < self.bytes.count ? self.bytes[self.index] : nil
    }

    private mutating func skipWhitespace() {
        while let byte = self.current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            self.index += 1
        }
    }

    private mutating func consume(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard self.index + count <= self.bytes.count else {
            return false
        }
        let start = literal.utf8Start
        for offset in 0..<count where self.bytes[self.index + offset] != start[offset] {
            return false
        }
        self.index += count
        return true
    }

    private mutating func parseValue(depth: Int) -> StrictJSONValue? {
        guard depth <= Self.maximumDepth, let byte = self.current else {
            return nil
        }
        switch byte {
        case UInt8(ascii: "{"):
            return self.parseObject(depth: depth + 1)
        case UInt8(ascii: "["):
            return self.parseArray(depth: depth + 1)
        case UInt8(ascii: "\""):
            return self.parseString().map(StrictJSONValue.string)
        case UInt8(ascii: "t"):
            return self.consume("true") ? .bool(true) : nil
        case UInt8(ascii: "f"):
            return self.consume("false") ? .bool(false) : nil
        case UInt8(ascii: "n"):
            return self.consume("null") ? .null : nil
        default:
            return self.parseNumber().map(StrictJSONValue.number)
        }
    }

    private mutating func parseObject(depth: Int) -> StrictJSONValue? {
        self.index += 1  // {
        var members: [String: StrictJSONValue] = [:]
        self.skipWhitespace()
        if self.current == UInt8(ascii: "}") {
            self.index += 1
            return .object(members)
        }
        while true {
            self.skipWhitespace()
            guard self.current == UInt8(ascii: "\""), let name = self.parseString() else {
                return nil
            }
            self.skipWhitespace()
            guard self.current == UInt8(ascii: ":") else {
                return nil
            }
            self.index += 1
            self.skipWhitespace()
            guard let value = self.parseValue(depth: depth) else {
                return nil
            }
            guard members.updateValue(value, forKey: name) == nil else {
                return nil  // duplicate member name
            }
            self.skipWhitespace()
            switch self.current {
            case UInt8(ascii: ","):
                self.index += 1
            case UInt8(ascii: "}"):
                self.index += 1
                return .object(members)
            default:
                return nil
            }
        }
    }

    private mutating func parseArray(depth: Int) -> StrictJSONValue? {
        self.index += 1  // [
        var elements: [StrictJSONValue] = []
        self.skipWhitespace()
        if self.current == UInt8(ascii: "]") {
            self.index += 1
            return .array(elements)
        }
        while true {
            self.skipWhitespace()
            guard let value = self.parseValue(depth: depth) else {
                return nil
            }
            elements.append(value)
            self.skipWhitespace()
            switch self.current {
            case UInt8(ascii: ","):
                self.index += 1
            case UInt8(ascii: "]"):
                self.index += 1
                return .array(elements)
            default:
                return nil
            }
        }
    }

    private mutating func parseString() -> String? {
        self.index += 1  // opening quote
        let start = self.index
        // Fast path: no escapes.
        while let byte = self.current {
            if byte == UInt8(ascii: "\"") {
                let slice = self.bytes[start..<self.index]
                self.index += 1
                return String(validating: slice, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                break
            }
            if byte < 0x20 {
                return nil
            }
            self.index += 1
        }
        guard self.current != nil else {
            return nil
        }
        var scalars: [UInt8] = Array(self.bytes[start..<self.index])
        while let byte = self.current {
            switch byte {
            case UInt8(ascii: "\""):
                self.index += 1
                return String(validating: scalars, as: UTF8.self)
            case UInt8(ascii: "\\"):
                self.index += 1
                guard let escaped = self.current else {
                    return nil
                }
                self.index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"):
                    scalars.append(escaped)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"):
                    guard let scalar = self.parseUnicodeEscape() else {
                        return nil
                    }
                    scalars.append(contentsOf: String(Character(scalar)).utf8)
                default:
                    return nil
                }
            default:
                if byte < 0x20 {
                    return nil
                }
                scalars.append(byte)
                self.index += 1
            }
        }
        return nil
    }

    /// Parses the `XXXX` after `\u` (and a following low surrogate escape if needed).
    private mutating func parseUnicodeEscape() -> Unicode.Scalar? {
        guard let high = self.parseHex4() else {
            return nil
        }
        if (0xD800...0xDBFF).contains(high) {
            guard self.consume("\\u"), let low = self.parseHex4(), (0xDC00...0xDFFF).contains(low) else {
                return nil
            }
            return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
        }
        if (0xDC00...0xDFFF).contains(high) {
            return nil
        }
        return Unicode.Scalar(high)
    }

    private mutating func parseHex4() -> UInt32? {
        guard self.index + 4 <= self.bytes.count else {
            return nil
        }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = self.bytes[self.index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            self.index += 1
        }
        return value
    }

    private mutating func parseNumber() -> Double? {
        let start = self.index
        if self.current == UInt8(ascii: "-") {
            self.index += 1
        }
        // Integer part: "0" or [1-9][0-9]*
        guard let first = self.current, Self.isDigit(first) else {
            return nil
        }
        self.index += 1
        if first != UInt8(ascii: "0") {
            self.skipDigits()
        }
        if self.current == UInt8(ascii: ".") {
            self.index += 1
            guard let byte = self.current, Self.isDigit(byte) else {
                return nil
            }
            self.skipDigits()
        }
        if self.current == UInt8(ascii: "e") || self.current == UInt8(ascii: "E") {
            self.index += 1
            if self.current == UInt8(ascii: "+") || self.current == UInt8(ascii: "-") {
                self.index += 1
            }
            guard let byte = self.current, Self.isDigit(byte) else {
                return nil
            }
            self.skipDigits()
        }
        let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            return nil
        }
        return value
    }

    private mutating func skipDigits() {
        while let byte = self.current, Self.isDigit(byte) {
            self.index += 1
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
