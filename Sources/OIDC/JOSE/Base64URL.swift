/// Strict base64url (RFC 4648 §5) without padding, as JWS compact serialization requires.
///
/// Rejects padding (`=`), characters outside `A-Z a-z 0-9 - _`, impossible lengths (4n+1) and non-canonical
/// encodings (unused trailing bits that are not zero).
enum Base64URL {
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        for (index, byte) in alphabet.enumerated() {
            table[Int(byte)] = UInt8(index)
        }
        return table
    }()

    private static let encodeTable: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8
    )

    /// Decodes `input`; returns `nil` if it is not strict, unpadded base64url.
    static func decode<Bytes: Collection<UInt8>>(_ input: Bytes) -> [UInt8]? {
        let count = input.count
        if count % 4 == 1 {
            return nil
        }
        var output = [UInt8]()
        output.reserveCapacity(count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        let table = self.decodeTable
        for byte in input {
            let value = table[Int(byte)]
            if value == 0xFF {
                return nil
            }
            accumulator = (accumulator << 6) | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        // Leftover bits (2 or 4) must be zero for a canonical encoding.
        if accumulator != 0 {
            return nil
        }
        return output
    }

    /// Encodes `bytes` as unpadded base64url.
    static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        let input = Array(bytes)
        var output = [UInt8]()
        output.reserveCapacity((input.count * 4 + 2) / 3)
        let table = self.encodeTable
        var index = 0
        while index + 3 <= input.count {
            let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            output.append(table[Int((chunk >> 18) & 0x3F)])
            output.append(table[Int((chunk >> 12) & 0x3F)])
            output.append(table[Int((chunk >> 6) & 0x3F)])
            output.append(table[Int(chunk & 0x3F)])
            index += 3
        }
        let remaining = input.count - index
        if remaining == 1 {
            let chunk = UInt32(input[index]) << 16
            output.append(table[Int((chunk >> 18) & 0x3F)])
            output.append(table[Int((chunk >> 12) & 0x3F)])
        } else if remaining == 2 {
            let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8
            output.append(table[Int((chunk >> 18) & 0x3F)])
            output.append(table[Int((chunk >> 12) & 0x3F)])
            output.append(table[Int((chunk >> 6) & 0x3F)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}
