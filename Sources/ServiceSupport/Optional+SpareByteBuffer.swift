package import NIOCore

extension Optional where Wrapped == ByteBuffer {
    /// An empty buffer of at least `capacity` bytes for a connection that writes one head after another: the spare
    /// buffer held here, taken out (so that it is its only reference) and cleared, which costs no allocation once
    /// nothing else holds it (the channel wrote it, the head that used it is gone); while something still does,
    /// copy-on-write replaces it with a new one. With no spare, a new one from `allocator`.
    package mutating func takeSpare(capacity: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        guard var buffer = take() else { return allocator.buffer(capacity: capacity) }
        buffer.clear(minimumCapacity: capacity)
        return buffer
    }
}
