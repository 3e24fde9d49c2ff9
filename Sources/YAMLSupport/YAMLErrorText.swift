public import Yams

/// One-line explanations of what Yams throws, for messages that name a file: `line 3, column 5: did not find
/// expected ',' or ']'` for syntax, `spec.clusters[0].name: expected a string` for a document of the wrong shape;
/// never Yams' multi-line excerpts or `DecodingError`'s debug descriptions.
public enum YAMLErrorText {
    /// The explanation of `error`: syntax (``syntax(_:)``), shape (``shape(_:)``), or the first line of its description.
    public static func describe(_ error: any Error) -> String {
        if let yaml = error as? YamlError { return syntax(yaml) }
        if let decoding = error as? DecodingError {
            // Yams reports a syntax error met while decoding as data corruption wrapping the YamlError.
            if case .dataCorrupted(let context) = decoding, let yaml = context.underlyingError as? YamlError {
                return syntax(yaml)
            }
            let path = path(of: decoding)
            return path.isEmpty ? shape(decoding) : "\(path): \(shape(decoding))"
        }
        return firstLine("\(error)")
    }

    /// `line 3, column 5: <problem>` (with libyaml's context when it gives one) for a YAML syntax error.
    public static func syntax(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let context = context.map { "\($0.text) (line \($0.mark.line), column \($0.mark.column)) " } ?? ""
            return "line \(mark.line), column \(mark.column): \(context)\(problem)"
        case .duplicatedKeysInMapping(let duplicates, let context):
            return "line \(context.mark.line), column \(context.mark.column): duplicate keys "
                + duplicates.sorted().joined(separator: ", ")
        case .reader(let problem, let offset, _, _):
            return offset.map { "byte \($0): \(problem)" } ?? problem
        default:
            return firstLine("\(error)")
        }
    }

    /// What was wrong with a decoded document's shape, without the place (``path(of:)``): `expected a string`,
    /// `required`.
    public static func shape(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, _): "expected \(typeName(type))"
        case .valueNotFound(let type, _): "expected \(typeName(type)), found null"
        case .keyNotFound: "required"
        case .dataCorrupted(let context): firstLine(context.debugDescription)
        @unknown default: firstLine("\(error)")
        }
    }

    /// Where in the document a decoding error is: `spec.placement.clusters[0].name`; empty at the top.
    public static func path(of error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            path(context.codingPath)
        case .keyNotFound(let key, let context):
            path(context.codingPath + [key])
        @unknown default:
            ""
        }
    }

    /// `spec.placement.clusters[0].name` for a coding path.
    public static func path(_ codingPath: [any CodingKey]) -> String {
        var path = ""
        for key in codingPath {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path
    }

    /// A type as a YAML author knows it: `a string`, `a list`, `a mapping (an object)`.
    public static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is [Any].Type, is Node.Sequence.Type: "a list"
        case is Node.Mapping.Type: "a mapping (an object)"
        case is Node.Scalar.Type: "a scalar (a string, number or boolean)"
        default: typeNameOfShape(type)
        }
    }

    /// Lists and mappings of any element type; a value of a string enumeration; any other decoded type is an
    /// object in YAML.
    private static func typeNameOfShape(_ type: Any.Type) -> String {
        let name = "\(type)"
        if name.hasPrefix("Array<") { return "a list" }
        if type is any RawRepresentable.Type { return "one of the allowed values" }
        return "a mapping (an object)"
    }

    private static func firstLine(_ text: String) -> String {
        let line = text.prefix { $0 != "\n" }
        return line.hasSuffix(".") ? String(line.dropLast()) : String(line)
    }
}
