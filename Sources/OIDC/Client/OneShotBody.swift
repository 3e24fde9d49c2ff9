import NIOCore

/// A request body that can be read once: a redirect-following client cannot send it a second time.
struct OneShotBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    struct AsyncIterator: AsyncIteratorProtocol {
        var buffer: ByteBuffer?

        mutating func next() async -> ByteBuffer? {
            defer { self.buffer = nil }
            return self.buffer
        }
    }

    let buffer: ByteBuffer

    init(_ buffer: ByteBuffer) {
        self.buffer = buffer
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(buffer: self.buffer)
    }
}
