/// A JSON value as found in a token's header or claims, or in a discovery document (distinct from KubeClient's
/// `JSONValue`, which reads API objects leniently and keeps integers).
///
/// Produced by the module's strict parser, which refuses duplicate object members, invalid UTF-8,
/// unescaped control characters, trailing garbage and nesting deeper than 32 levels.
public enum StrictJSONValue: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// Any JSON number.
    case number(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([StrictJSONValue])
    /// An object. Member names are unique.
    case object([String: StrictJSONValue])

    /// The string, if this is a string.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The number, if this is a number (booleans are not numbers).
    public var numberValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The members, if this is an object.
    public var objectValue: [String: StrictJSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The elements, if this is an array.
    public var arrayValue: [StrictJSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// Parses `bytes` strictly; returns `nil` for anything that is not exactly one valid JSON value.
    public init?<Bytes: Collection<UInt8>>(parsing bytes: Bytes) {
        var parser = StrictJSONParser(Array(bytes))
        guard let value = parser.parseDocument() else {
            return nil
        }
        self = value
    }
}
