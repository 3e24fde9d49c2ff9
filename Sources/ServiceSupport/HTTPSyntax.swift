/// RFC 9110 syntax on bytes, shared by the request decoder, the upstream response framer and the request writer.
package enum HTTPSyntax {
    /// Whether `byte` is an RFC 9110 `tchar` (§5.6.2): a letter, a digit, or one of the 15 punctuation characters
    /// allowed in tokens.
    @inlinable @inline(__always)
    package static func isTokenByte(_ byte: UInt8) -> Bool {
        if byte < 64 { return (0x03FF_6CFA_0000_0000 as UInt64) >> UInt64(byte) & 1 != 0 }
        if byte < 128 { return (0x57FF_FFFF_C7FF_FFFE as UInt64) >> UInt64(byte &- 64) & 1 != 0 }
        return false
    }

    /// `byte` with ASCII upper case letters lowered.
    @inlinable @inline(__always)
    package static func lowered(_ byte: UInt8) -> UInt8 { byte &- 0x41 < 26 ? byte | 0x20 : byte }

    /// Whether `bytes` equals `lowercase` ignoring ASCII case (`lowercase` must be lower case).
    @inlinable
    package static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for index in 0..<bytes.count where lowered(bytes[index]) != expected[index] { return false }
        return true
    }

    /// Whether `bytes` starts with `lowercase` ignoring ASCII case (`lowercase` must be lower case).
    @inlinable
    package static func hasPrefixIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        let count = lowercase.utf8CodeUnitCount
        return bytes.count >= count && equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: bytes[..<count]), lowercase)
    }

    /// Whether two byte strings are equal ignoring ASCII case.
    @inlinable
    package static func equalsIgnoringCase(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        for index in 0..<a.count where lowered(a[index]) != lowered(b[index]) { return false }
        return true
    }

    /// Calls `body` with each element of a comma-separated list, without surrounding white space (empty elements
    /// included: callers decide whether they are acceptable).
    @inlinable
    package static func forEachElement(of value: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var start = 0
        while start <= value.count {
            var end = start
            while end < value.count, value[end] != UInt8(ascii: ",") { end += 1 }
            var elementStart = start
            var elementEnd = end
            while elementStart < elementEnd, value[elementStart] == 0x20 || value[elementStart] == 0x09 { elementStart += 1 }
            while elementEnd > elementStart, value[elementEnd - 1] == 0x20 || value[elementEnd - 1] == 0x09 { elementEnd -= 1 }
            body(UnsafeRawBufferPointer(rebasing: value[elementStart..<elementEnd]))
            start = end + 1
        }
    }
}
