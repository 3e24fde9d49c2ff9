/// Text as a JSON string literal (RFC 8259 §7), for the hand-written JSON of logs, tokens and the emulator.
public enum JSONStringText {
    /// Appends `text` to `output` as a quoted JSON string: `"` and `\` escaped, control characters as `\n`, `\r`,
    /// `\t`, `\b`, `\f` or `\u00XX`, and U+007F, U+2028 and U+2029 as `\u` escapes too (valid JSON either way, but
    /// they break log viewers and JavaScript that embed the text). Everything else, non-ASCII included, stays as it
    /// is, in UTF-8.
    public static func append(_ text: String, to output: inout String) {
        output += "\""
        appendContents(text, to: &output)
        output += "\""
    }

    /// Appends `text` escaped as inside a JSON string (see ``append(_:to:)``), without the quotes around it.
    public static func appendContents(_ text: String, to output: inout String) {
        guard text.unicodeScalars.contains(where: needsEscape) else {
            output += text
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case _ where needsEscape(scalar):
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                output.unicodeScalars.append(scalar)
            }
        }
    }

    /// `text` as a quoted JSON string (see ``append(_:to:)``).
    public static func quoted(_ text: String) -> String {
        var output = ""
        append(text, to: &output)
        return output
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar == "\"" || scalar == "\\" || scalar.value == 0x7F
            || scalar.value == 0x2028 || scalar.value == 0x2029
    }
}
