import Logging
import TextEscaping

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
        JSONStringText.append(time, to: &line)
        line += ",\"level\":"
        JSONStringText.append(level.rawValue, to: &line)
        line += ",\"msg\":"
        JSONStringText.append(message, to: &line)
        line += ",\"logger\":"
        JSONStringText.append(label, to: &line)
        var used = reservedKeys
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            var name = key
            while used.contains(name) { name = collisionPrefix + name }
            used.insert(name)
            line += ","
            JSONStringText.append(name, to: &line)
            line += ":"
            appendValue(value, to: &line)
        }
        line += "}"
        return line
    }

    private static func appendValue(_ value: Logger.MetadataValue, to line: inout String) {
        switch value {
        case .string(let text):
            JSONStringText.append(text, to: &line)
        case .stringConvertible(let convertible):
            JSONStringText.append(convertible.description, to: &line)
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
                JSONStringText.append(key, to: &line)
                line += ":"
                appendValue(element, to: &line)
            }
            line += "}"
        }
    }
}
