import CVZAuthZlib

/// SPDY/3 header blocks of one session: one zlib stream per direction, primed with the SPDY/3 dictionary.
///
/// A block is a 32-bit count, then for each header a 32-bit length, the lower-cased name, a 32-bit length
/// and the value (several values joined by NUL). Inflates what the peer sends (SYN_STREAM, HEADERS) and
/// deflates what the double sends (SYN_REPLY) with a sync flush, so each block ends on a byte boundary.
/// Not thread-safe: one session, one event loop.
final class KubeEmulatorSPDYHeaderCodec {
    private let inflater: UnsafeMutablePointer<z_stream>
    private let deflater: UnsafeMutablePointer<z_stream>

    init() throws(KubeEmulatorSPDYError) {
        self.inflater = .allocate(capacity: 1)
        self.inflater.initialize(to: z_stream())
        self.deflater = .allocate(capacity: 1)
        self.deflater.initialize(to: z_stream())
        guard cvzauth_inflateInit(self.inflater) == Z_OK else {
            self.inflater.deallocate()
            self.deflater.deallocate()
            throw KubeEmulatorSPDYError("inflateInit failed")
        }
        guard cvzauth_deflateInit(self.deflater, Z_DEFAULT_COMPRESSION) == Z_OK else {
            inflateEnd(self.inflater)
            self.inflater.deallocate()
            self.deflater.deallocate()
            throw KubeEmulatorSPDYError("deflateInit failed")
        }
        let status = KubeEmulatorSPDYDictionary.bytes.withUnsafeBufferPointer { dictionary in
            deflateSetDictionary(self.deflater, dictionary.baseAddress, uInt(dictionary.count))
        }
        precondition(status == Z_OK, "deflateSetDictionary failed")
    }

    deinit {
        inflateEnd(self.inflater)
        deflateEnd(self.deflater)
        self.inflater.deallocate()
        self.deflater.deallocate()
    }

    /// Decompresses and parses one header block; names as sent (lower case), values split at NUL.
    func decode(_ compressed: [UInt8]) throws(KubeEmulatorSPDYError) -> [String: [String]] {
        try Self.parse(self.inflate(compressed))
    }

    /// Serializes and compresses one header block.
    func encode(_ headers: [(name: String, value: String)]) throws(KubeEmulatorSPDYError) -> [UInt8] {
        var block: [UInt8] = []
        Self.append(UInt32(headers.count), to: &block)
        for (name, value) in headers {
            let name = name.lowercased()
            Self.append(UInt32(name.utf8.count), to: &block)
            block += Array(name.utf8)
            Self.append(UInt32(value.utf8.count), to: &block)
            block += Array(value.utf8)
        }
        return try self.deflate(block)
    }

    // MARK: - zlib

    private func inflate(_ input: [UInt8]) throws(KubeEmulatorSPDYError) -> [UInt8] {
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var input = input
        let stream = self.inflater
        let result: Int32 = input.withUnsafeMutableBufferPointer { input in
            stream.pointee.next_in = input.baseAddress
            stream.pointee.avail_in = uInt(input.count)
            defer {
                stream.pointee.next_in = nil
                stream.pointee.avail_in = 0
            }
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { chunk in
                    stream.pointee.next_out = chunk.baseAddress
                    stream.pointee.avail_out = uInt(chunk.count)
                    var status = CVZAuthZlib.inflate(stream, Z_SYNC_FLUSH)
                    if status == Z_NEED_DICT {
                        status = KubeEmulatorSPDYDictionary.bytes.withUnsafeBufferPointer { dictionary in
                            inflateSetDictionary(stream, dictionary.baseAddress, uInt(dictionary.count))
                        }
                    }
                    let produced = chunk.count - Int(stream.pointee.avail_out)
                    stream.pointee.next_out = nil
                    return (status, produced)
                }
                output += chunk[..<produced]
                switch status {
                case Z_OK where stream.pointee.avail_in > 0 || produced == chunk.count:
                    continue
                case Z_OK, Z_BUF_ERROR:
                    return Z_OK
                default:
                    return status
                }
            }
        }
        guard result == Z_OK else {
            throw KubeEmulatorSPDYError("inflate failed (\(result))")
        }
        return output
    }

    private func deflate(_ input: [UInt8]) throws(KubeEmulatorSPDYError) -> [UInt8] {
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var input = input
        let stream = self.deflater
        let result: Int32 = input.withUnsafeMutableBufferPointer { input in
            stream.pointee.next_in = input.baseAddress
            stream.pointee.avail_in = uInt(input.count)
            defer {
                stream.pointee.next_in = nil
                stream.pointee.avail_in = 0
            }
            while true {
                let (status, produced, full) = chunk.withUnsafeMutableBufferPointer { chunk in
                    stream.pointee.next_out = chunk.baseAddress
                    stream.pointee.avail_out = uInt(chunk.count)
                    let status = CVZAuthZlib.deflate(stream, Z_SYNC_FLUSH)
                    let full = stream.pointee.avail_out == 0
                    stream.pointee.next_out = nil
                    return (status, chunk.count - Int(stream.pointee.avail_out), full)
                }
                output += chunk[..<produced]
                guard status == Z_OK else { return status }
                if !full { return Z_OK }
            }
        }
        guard result == Z_OK else {
            throw KubeEmulatorSPDYError("deflate failed (\(result))")
        }
        return output
    }

    // MARK: - Blocks

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    private static func parse(_ block: [UInt8]) throws(KubeEmulatorSPDYError) -> [String: [String]] {
        var offset = 0
        func integer() throws(KubeEmulatorSPDYError) -> Int {
            guard offset + 4 <= block.count else { throw KubeEmulatorSPDYError("truncated header block") }
            defer { offset += 4 }
            return block[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
        }
        func string() throws(KubeEmulatorSPDYError) -> String {
            let length = try integer()
            guard length >= 0, offset + length <= block.count else { throw KubeEmulatorSPDYError("truncated header block") }
            defer { offset += length }
            return String(decoding: block[offset..<offset + length], as: UTF8.self)
        }
        var headers: [String: [String]] = [:]
        let count = try integer()
        for _ in 0..<count {
            let name = try string()
            let value = try string()
            headers[name.lowercased(), default: []] += value.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
        }
        return headers
    }
}

/// A SPDY protocol violation or zlib failure; the session is closed.
struct KubeEmulatorSPDYError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
