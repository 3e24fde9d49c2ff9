/// `bytes` as a quoted, escaped string for an invariant's failure message: CR, LF, HTAB, backslash and quote
/// escaped, other bytes outside printable ASCII as `\xNN`.
public func printable(_ bytes: some Sequence<UInt8>) -> String {
    var text = ""
    for byte in bytes {
        switch byte {
        case 0x0D: text += "\\r"
        case 0x0A: text += "\\n"
        case 0x09: text += "\\t"
        case 0x5C: text += "\\\\"
        case 0x22: text += "\\\""
        case 0x20...0x7E: text.append(Character(Unicode.Scalar(byte)))
        default: text += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }
    }
    return "\"" + text + "\""
}
