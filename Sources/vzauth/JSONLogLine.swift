import Logging

/// Formats one log event as a JSON line: `time` (RFC 3339, UTC, milliseconds), `level`, `msg`, `logger` and the
/// metadata as top-level fields (nested metadata as objects and arrays). A metadata key that collides with one of
/// those fields is written with a `meta_` prefix.
enum JSONLogLine {
    /// The fields every line has; metadata keys equal to one of them get ``collisionPrefix``.
    static let reservedKeys: Set<String> = ["time", "level", "msg", "logger"]
    /// Put in front of a metadata key that collides with a reserved field.
    static let collisionPrefix = "meta_"

    /// The line (without its newline).
    static func format(time: String, level: Logger.Level, label: String, message: String,
                       metadata: Logger.Metadata) -> String {
        var line = "{\"time\":"
        line.reserveCapacity(256)
        appendString(time, to: &line)
        line += ",\"level\":"
        appendString(level.rawValue, to: &line)
        line += ",\"msg\":"
        appendString(message, to: &line)
        line += ",\"logger\":"
        appendString(label, to: &line)
        var used = reservedKeys
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            var name = key
            while used.contains(name) { name = collisionPrefix + name }
            used.insert(name)
            line += ","
            appendString(name, to: &line)
            line += ":"
            appendValue(value, to: &line)
        }
        line += "}"
        return line
    }

    private static func appendValue(_ value: Logger.MetadataValue, to line: inout String) {
        switch value {
        case .string(let text):
            appendString(text, to: &line)
        case .stringConvertible(let convertible):
            appendString(convertible.description, to: &line)
        case .array(let values):
            line += "["
            for (index, element) in values.enumerated() {
                if index > 0 { line += "," }
                appendValue(element, to: &line)
            }
            line += "]"
        case .dictionary(let entries):
            line += "{"
            for (index, (key, element)) in entries.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { line += "," }
                appendString(key, to: &line)
                line += ":"
                appendValue(element, to: &line)
            }
            line += "}"
        }
    }

    /// `text` as a JSON string: quotes, backslashes and control characters escaped; everything else (including
    /// non-ASCII) as it is, in UTF-8.
    static func appendString(_ text: String, to line: inout String) {
        line += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                line += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                line.unicodeScalars.append(scalar)
            }
        }
        line += "\""
    }
}
