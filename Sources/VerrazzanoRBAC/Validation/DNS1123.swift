/// Kubernetes name syntax (RFC 1123).
enum DNS1123 {
    /// A label: at most 63 characters of `a-z`, `0-9` and `-`, starting and ending with a letter or digit.
    static func isLabel(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty, bytes.count <= 63 else { return false }
        func alphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard alphanumeric(bytes[0]), alphanumeric(bytes[bytes.count - 1]) else { return false }
        return bytes.allSatisfy { alphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    /// A subdomain: at most `maxLength` (253) characters, labels joined by `.`.
    static func isSubdomain(_ value: String, maxLength: Int = 253) -> Bool {
        guard !value.isEmpty, value.utf8.count <= maxLength else { return false }
        return value.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isLabel(String($0)) }
    }

    static let labelMessage = "must be a lowercase RFC 1123 label: at most 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit"
}
