/// `application/x-www-form-urlencoded` serialization (the WHATWG URL Standard's urlencoded serializer), used for
/// query strings of authorization requests and for token request bodies.
///
/// Bytes `A-Z a-z 0-9 * - . _` stay as they are, a space becomes `+`, every other byte of the UTF-8 encoding
/// becomes `%XX` (upper-case hex).
public enum FormURLEncoding {
    /// Encodes one name or value.
    public static func encode(_ text: String) -> String {
        var output = [UInt8]()
        output.reserveCapacity(text.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"):
                output.append(byte)
            case UInt8(ascii: " "):
                output.append(UInt8(ascii: "+"))
            default:
                output.append(UInt8(ascii: "%"))
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// `name=value&name=value...`, in the order given.
    public static func encode(_ pairs: [(name: String, value: String)]) -> String {
        pairs.map { Self.encode($0.name) + "=" + Self.encode($0.value) }.joined(separator: "&")
    }
}
