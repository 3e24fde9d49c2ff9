public import NIOCore
public import NIOHTTP1

/// Exists only for the fuzz targets in `Fuzz/`: a libFuzzer build is not a testable build, so it cannot reach the
/// internal ``UpstreamResponseFramer`` with `@testable import`. This forwards to it unchanged, behind the `Fuzzing`
/// SPI (`@_spi(Fuzzing) import ProxyCore`), so it is no part of the module's API.
@_spi(Fuzzing)
public struct UpstreamResponseFramerForFuzzing {
    private var framer: UpstreamResponseFramer

    /// See ``UpstreamResponseFramer/init(maximumHeadBytes:)``.
    public init(maximumHeadBytes: Int) {
        self.framer = UpstreamResponseFramer(maximumHeadBytes: maximumHeadBytes)
    }

    /// See ``UpstreamResponseFramer/requestSent(method:)``.
    public mutating func requestSent(method: HTTPMethod) {
        self.framer.requestSent(method: method)
    }

    /// See ``UpstreamResponseFramer/hasSwitchedProtocols``.
    public var hasSwitchedProtocols: Bool {
        self.framer.hasSwitchedProtocols
    }

    /// See ``UpstreamResponseFramer/nextPart(_:)``.
    public mutating func nextPart(_ buffer: inout ByteBuffer) throws(UpstreamResponseError) -> UpstreamResponsePart? {
        try self.framer.nextPart(&buffer)
    }

    /// See ``UpstreamResponseFramer/endOfInput(_:)``.
    public mutating func endOfInput(_ buffer: ByteBuffer) throws(UpstreamResponseError) -> UpstreamResponsePart? {
        try self.framer.endOfInput(buffer)
    }
}
