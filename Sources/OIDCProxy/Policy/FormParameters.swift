/// Parameters of a URL query or an `application/x-www-form-urlencoded` body, decoded (`+` is a space, `%XX` a
/// byte). Hostile input is bounded: at most ``maximumCount`` pairs are read; a malformed escape or invalid UTF-8
/// makes that pair's value unreadable (absent), never a crash. The first occurrence of a name wins.
struct FormParameters: Sendable {
    static let maximumCount = 64
    private var values: [String: String] = [:]

    /// The parameters of the query of a request target (`/path?a=1&b=2`).
    init(query uri: String) {
        let bytes = uri.utf8
        guard let question = bytes.firstIndex(of: UInt8(ascii: "?")) else {
            self.init(form: EmptyCollection<UInt8>())
            return
        }
        var end = bytes.endIndex
        if let hash = bytes[question...].firstIndex(of: UInt8(ascii: "#")) { end = hash }
        self.init(form: bytes[bytes.index(after: question)..<end])
    }

    /// The parameters of a form body.
    init<Bytes: Collection<UInt8>>(form: Bytes) {
        var count = 0
        for pair in form.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            count += 1
            if count > Self.maximumCount { break }
            let equals = pair.firstIndex(of: UInt8(ascii: "=")) ?? pair.endIndex
            guard let name = Self.decode(pair[..<equals]) else { continue }
            let rawValue = equals == pair.endIndex ? pair[equals...] : pair[pair.index(after: equals)...]
            guard let value = Self.decode(rawValue), values[name] == nil else { continue }
            values[name] = value
        }
    }

    /// The decoded value of `name`, if present and well-formed.
    subscript(name: String) -> String? { values[name] }

    private static func decode<Bytes: Collection<UInt8>>(_ encoded: Bytes) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(encoded.count)
        var iterator = encoded.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
