import Foundation

/// Appends the fields of a versioned binary payload: strings and lists with big-endian `UInt16` lengths, instants
/// as big-endian `Int64` whole seconds since 1970.
struct PayloadWriter {
    private(set) var bytes: [UInt8] = []

    init(version: UInt8, capacity: Int) {
        self.bytes.reserveCapacity(capacity)
        self.bytes.append(version)
    }

    mutating func write(_ byte: UInt8) {
        self.bytes.append(byte)
    }

    private mutating func writeLength(_ length: Int) throws(CookieError) {
        guard length <= Int(UInt16.max) else {
            throw CookieError.valueTooLarge.with(message: "a session field is longer than 65,535 bytes")
        }
        self.bytes.append(UInt8(truncatingIfNeeded: length >> 8))
        self.bytes.append(UInt8(truncatingIfNeeded: length))
    }

    mutating func write(_ string: String) throws(CookieError) {
        try self.writeLength(string.utf8.count)
        self.bytes.append(contentsOf: string.utf8)
    }

    mutating func write(_ strings: [String]) throws(CookieError) {
        try self.writeLength(strings.count)
        for string in strings {
            try self.write(string)
        }
    }

    mutating func write(_ date: Date) {
        let seconds = UInt64(bitPattern: PayloadReader.wholeSeconds(date))
        for shift in stride(from: 56, through: 0, by: -8) {
            self.bytes.append(UInt8(truncatingIfNeeded: seconds >> UInt64(shift)))
        }
    }
}

/// Reads what ``PayloadWriter`` wrote. Every read checks the remaining length first and answers `nil` when the
/// input ends early or a string is not UTF-8, so hostile bytes can neither trap nor make it allocate more than
/// the input's size.
struct PayloadReader {
    private let bytes: [UInt8]
    private var position: Int

    /// Starts reading after the version byte, which must equal `version`.
    init?(_ bytes: [UInt8], version: UInt8) {
        guard bytes.first == version else { return nil }
        self.bytes = bytes
        self.position = 1
    }

    /// Whether every byte has been read.
    var isAtEnd: Bool {
        self.position == self.bytes.count
    }

    mutating func readByte() -> UInt8? {
        guard self.position < self.bytes.count else { return nil }
        defer { self.position += 1 }
        return self.bytes[self.position]
    }

    private mutating func readLength() -> Int? {
        guard let high = self.readByte(), let low = self.readByte() else { return nil }
        return Int(high) << 8 | Int(low)
    }

    mutating func readString() -> String? {
        guard let length = self.readLength(), length <= self.bytes.count - self.position else { return nil }
        let slice = self.bytes[self.position..<self.position + length]
        self.position += length
        return String(validating: slice, as: UTF8.self)
    }

    mutating func readStrings() -> [String]? {
        guard let count = self.readLength() else { return nil }
        var strings: [String] = []
        // Each string takes at least its two length bytes.
        strings.reserveCapacity(min(count, (self.bytes.count - self.position) / 2))
        for _ in 0..<count {
            guard let string = self.readString() else { return nil }
            strings.append(string)
        }
        return strings
    }

    mutating func readDate() -> Date? {
        guard self.bytes.count - self.position >= 8 else { return nil }
        var seconds: UInt64 = 0
        for _ in 0..<8 {
            seconds = seconds << 8 | UInt64(self.bytes[self.position])
            self.position += 1
        }
        return Date(timeIntervalSince1970: Double(Int64(bitPattern: seconds)))
    }

    /// `date` as whole seconds since 1970, rounded down; non-finite instants clamp to ±2⁶².
    static func wholeSeconds(_ date: Date) -> Int64 {
        let seconds = date.timeIntervalSince1970
        let bound = Double(Int64(1) << 62)
        guard seconds.isFinite else { return seconds > 0 ? Int64(1) << 62 : -(Int64(1) << 62) }
        return Int64(min(max(seconds.rounded(.down), -bound), bound))
    }
}
