public import NIOCore
public import NIOHTTP1
public import ServiceSupport

/// Exists only for the fuzz targets in `Fuzz/`: a libFuzzer build is not a testable build, so it cannot reach the
/// non-public `ClientRequestDecoder` (ServiceSupport) with `@testable import`. This forwards to it unchanged, behind the `Fuzzing`
/// SPI (`@_spi(Fuzzing) import ProxyCore`), so it is no part of the module's API.
@_spi(Fuzzing)
public struct ClientRequestDecoderForFuzzing {
    private var decoder: ClientRequestDecoder

    /// See ``ClientRequestDecoder/init(maximumHeadBytes:maximumFieldCount:maximumTrailerBytes:maximumTrailerFieldCount:)``.
    public init(maximumHeadBytes: Int, maximumFieldCount: Int, maximumTrailerBytes: Int, maximumTrailerFieldCount: Int) {
        self.decoder = ClientRequestDecoder(maximumHeadBytes: maximumHeadBytes, maximumFieldCount: maximumFieldCount,
                                            maximumTrailerBytes: maximumTrailerBytes,
                                            maximumTrailerFieldCount: maximumTrailerFieldCount)
    }

    /// See ``ClientRequestDecoder/nextPart(_:allocator:)``; a head in NIO's form, for comparison with NIO's decoder.
    public mutating func nextPart(_ buffer: inout ByteBuffer) throws(ClientRequestError) -> HTTPServerRequestPart? {
        try self.decoder.nextPart(&buffer).map(HTTPServerRequestPart.init)
    }

    /// See ``ClientRequestDecoder/endOfInput()``.
    public func endOfInput() throws(ClientRequestError) {
        try self.decoder.endOfInput()
    }
}
