/// Case-insensitive header name checks without allocating lower-cased copies.
public enum HeaderNames {
    /// Whether `name` starts with `prefix`, ignoring ASCII case. `prefix` must be lower case.
    public static func hasPrefix(_ name: String, lowercasePrefix prefix: StaticString) -> Bool {
        var nameUTF8 = name.utf8.makeIterator()
        return prefix.withUTF8Buffer { prefixBytes in
            for expected in prefixBytes {
                guard let byte = nameUTF8.next() else { return false }
                let lowered = (byte >= 65 && byte <= 90) ? byte + 32 : byte
                if lowered != expected { return false }
            }
            return true
        }
    }

    /// Whether `name` equals `other`, ignoring ASCII case. `other` must be lower case.
    public static func equals(_ name: String, lowercase other: StaticString) -> Bool {
        name.utf8.count == other.utf8CodeUnitCount && hasPrefix(name, lowercasePrefix: other)
    }
}
