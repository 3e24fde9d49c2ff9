/// Strict base64url (RFC 4648 §5) without padding, as JWS compact serialization requires; also used for sealed
/// cookie values.
///
/// Decoding rejects padding (`=`), characters outside `A-Z a-z 0-9 - _`, impossible lengths (4n+1) and
/// non-canonical encodings (unused trailing bits that are not zero), so every accepted string has exactly one byte
/// sequence.
public enum Base64URL {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let standardAlphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() {
            table[Int(byte)] = UInt8(index)
        }
        return table
    }()

    /// Whether `byte` belongs to the base64url alphabet.
    public static func isAlphabetByte(_ byte: UInt8) -> Bool {
        self.decodeTable[Int(byte)] != 0xFF
    }

    /// Decodes `input`; returns `nil` if it is not strict, unpadded base64url.
    public static func decode(_ input: some Collection<UInt8>) -> [UInt8]? {
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
        if accumulator != 0 {
            return nil
        }
        return output
    }

    /// Encodes `input` as unpadded base64url.
    public static func encode(_ input: some Sequence<UInt8>) -> String {
        self.encode(Array(input), alphabet: self.alphabet, padding: false)
    }

    /// Encodes `input` as standard, padded base64 (RFC 4648 §4), which JavaScript's `atob` reads.
    public static func encodeStandardPadded(_ input: [UInt8]) -> String {
        self.encode(input, alphabet: self.standardAlphabet, padding: true)
    }

    private static func encode(_ input: [UInt8], alphabet table: [UInt8], padding: Bool) -> String {
        let outputCount = padding ? (input.count + 2) / 3 * 4 : (input.count * 4 + 2) / 3
        return String(unsafeUninitializedCapacity: outputCount) { output in
            var written = 0
            var index = 0
            while index + 3 <= input.count {
                let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
                output[written] = table[Int((chunk >> 18) & 0x3F)]
                output[written + 1] = table[Int((chunk >> 12) & 0x3F)]
                output[written + 2] = table[Int((chunk >> 6) & 0x3F)]
                output[written + 3] = table[Int(chunk & 0x3F)]
                written += 4
                index += 3
            }
            let remaining = input.count - index
            if remaining > 0 {
                var chunk = UInt32(input[index]) << 16
                if remaining == 2 {
                    chunk |= UInt32(input[index + 1]) << 8
                }
                output[written] = table[Int((chunk >> 18) & 0x3F)]
                output[written + 1] = table[Int((chunk >> 12) & 0x3F)]
                written += 2
                if remaining == 2 {
                    output[written] = table[Int((chunk >> 6) & 0x3F)]
                    written += 1
                }
                if padding {
                    while written % 4 != 0 {
                        output[written] = UInt8(ascii: "=")
                        written += 1
                    }
                }
            }
            return written
        }
    }
}
