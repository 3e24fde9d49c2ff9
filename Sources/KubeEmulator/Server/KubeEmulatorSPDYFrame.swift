import NIOCore

/// One SPDY/3 (3.1) frame: an 8-byte header and a payload.
///
/// Control frames: `1 | version(15) | type(16) | flags(8) | length(24)`. Data frames:
/// `0 | stream id(31) | flags(8) | length(24)`.
enum KubeEmulatorSPDYFrame: Equatable {
    case control(type: ControlType, flags: UInt8, payload: ByteBuffer)
    case data(streamID: UInt32, flags: UInt8, payload: ByteBuffer)

    /// The control frame types (unknown ones are kept by number and ignored).
    struct ControlType: RawRepresentable, Hashable {
        var rawValue: UInt16

        static let synStream = ControlType(rawValue: 1)
        static let synReply = ControlType(rawValue: 2)
        static let rstStream = ControlType(rawValue: 3)
        static let settings = ControlType(rawValue: 4)
        static let ping = ControlType(rawValue: 6)
        static let goAway = ControlType(rawValue: 7)
        static let headers = ControlType(rawValue: 8)
        static let windowUpdate = ControlType(rawValue: 9)
    }

    static let version: UInt16 = 3
    static let flagFin: UInt8 = 0x01
    static let maxPayload = 0xFF_FFFF

    /// RST_STREAM status codes.
    static let protocolError: UInt32 = 1
    static let refusedStream: UInt32 = 3
    static let cancel: UInt32 = 5

    /// Takes one complete frame off the front of `buffer`, or returns `nil` (consuming nothing) if incomplete.
    static func read(from buffer: inout ByteBuffer) throws(KubeEmulatorSPDYError) -> KubeEmulatorSPDYFrame? {
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self),
              let flags = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt8.self),
              let high = buffer.getInteger(at: buffer.readerIndex + 5, as: UInt8.self),
              let low = buffer.getInteger(at: buffer.readerIndex + 6, as: UInt16.self)
        else {
            return nil
        }
        let length = Int(high) << 16 | Int(low)
        guard buffer.readableBytes >= 8 + length else { return nil }
        buffer.moveReaderIndex(forwardBy: 8)
        let payload = buffer.readSlice(length: length)!
        if first & 0x8000_0000 != 0 {
            let version = UInt16(truncatingIfNeeded: first >> 16) & 0x7FFF
            guard version == Self.version else {
                throw KubeEmulatorSPDYError("unsupported SPDY version \(version)")
            }
            return .control(type: ControlType(rawValue: UInt16(truncatingIfNeeded: first)), flags: flags, payload: payload)
        }
        return .data(streamID: first, flags: flags, payload: payload)
    }

    /// Appends the frame to `buffer`.
    func write(to buffer: inout ByteBuffer) {
        switch self {
        case .control(let type, let flags, let payload):
            buffer.writeInteger(0x8000 | Self.version)
            buffer.writeInteger(type.rawValue)
            Self.writeFlagsAndLength(flags, payload.readableBytes, to: &buffer)
            buffer.writeImmutableBuffer(payload)
        case .data(let streamID, let flags, let payload):
            buffer.writeInteger(streamID & 0x7FFF_FFFF)
            Self.writeFlagsAndLength(flags, payload.readableBytes, to: &buffer)
            buffer.writeImmutableBuffer(payload)
        }
    }

    private static func writeFlagsAndLength(_ flags: UInt8, _ length: Int, to buffer: inout ByteBuffer) {
        precondition(length <= Self.maxPayload, "SPDY frame too long")
        buffer.writeInteger(flags)
        buffer.writeInteger(UInt8(length >> 16))
        buffer.writeInteger(UInt16(length & 0xFFFF))
    }
}
