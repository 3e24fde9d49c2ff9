public import Foundation
import TextEscaping

/// A JSON value for building token headers, claims and the issuer's documents, with literal syntax:
/// `["sub": "alice", "exp": .number(1700000000), "groups": ["a", "b"]]`.
///
/// Serialization sorts object members, so minted tokens are deterministic.
public enum TokenJSON: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` / `false`.
    case bool(Bool)
    /// A number.
    case number(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([TokenJSON])
    /// An object.
    case object([String: TokenJSON])

    /// A NumericDate (seconds since 1970, whole seconds).
    public static func date(_ date: Date) -> TokenJSON {
        .number(date.timeIntervalSince1970.rounded(.down))
    }

    /// Compact JSON text.
    public var jsonString: String {
        var output = ""
        self.write(into: &output)
        return output
    }

    private func write(into output: inout String) {
        switch self {
        case .null:
            output += "null"
        case .bool(let value):
            output += value ? "true" : "false"
        case .number(let value):
            if value.rounded() == value, abs(value) < 1e15 {
                output += String(Int64(value))
            } else {
                output += "\(value)"
            }
        case .string(let value):
            JSONStringText.append(value, to: &output)
        case .array(let values):
            output += "["
            for (index, value) in values.enumerated() {
                if index > 0 { output += "," }
                value.write(into: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, name) in members.keys.sorted().enumerated() {
                if index > 0 { output += "," }
                JSONStringText.append(name, to: &output)
                output += ":"
                members[name]!.write(into: &output)
            }
            output += "}"
        }
    }

}

extension TokenJSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    /// A string literal is a JSON string.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An integer literal is a JSON number.
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    /// A float literal is a JSON number.
    public init(floatLiteral value: Double) { self = .number(value) }
    /// A Boolean literal is a JSON Boolean.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An array literal is a JSON array.
    public init(arrayLiteral elements: TokenJSON...) { self = .array(elements) }
    /// `nil` is JSON `null` (and, in ``TokenMinter/mint(claims:algorithm:headerChanges:)``, "remove this member").
    public init(nilLiteral: ()) { self = .null }
    /// A dictionary literal is a JSON object (a repeated name keeps the last value).
    public init(dictionaryLiteral elements: (String, TokenJSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

/// Unpadded base64url, for building tokens and JWKs.
public enum TokenBase64URL {
    /// Encodes `bytes` without padding.
    public static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Encodes the UTF-8 of `text` without padding.
    public static func encode(_ text: String) -> String {
        self.encode(Array(text.utf8))
    }
}
