import NIOCore
import NIOHTTP1
import Synchronization

/// Writes the body of a long-lived streaming response (watch, followed log) from any thread, in call order.
///
/// Every call enqueues a task on the channel's event loop, so calls made under the state lock keep their order.
/// After ``end()`` (or the connection closing) further writes are dropped and the cleanup runs once.
final class KubeEmulatorStreamWriter: Sendable {
    private let channel: any Channel
    var eventLoop: any EventLoop { self.channel.eventLoop }
    private let state = Mutex<(ended: Bool, cleanup: (@Sendable () -> Void)?)>((ended: false, cleanup: nil))

    init(channel: any Channel) {
        self.channel = channel
    }

    /// Sets what to do once the stream ends (unregister it).
    func onEnd(_ cleanup: @escaping @Sendable () -> Void) {
        self.state.withLock { $0.cleanup = cleanup }
    }

    /// Sends one chunk and flushes it.
    func write(_ buffer: ByteBuffer) {
        let channel = self.channel
        channel.eventLoop.execute {
            guard !self.isEnded else { return }
            channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
        }
    }

    /// Ends the response (the connection stays open for the next request).
    func end() {
        let channel = self.channel
        channel.eventLoop.execute {
            guard let cleanup = self.markEnded() else { return }
            channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
            cleanup()
        }
    }

    /// The connection closed: stop without writing.
    func connectionClosed() {
        self.markEnded()?()
    }

    private var isEnded: Bool { self.state.withLock { $0.ended } }

    /// Marks the stream ended; returns the cleanup the first time only.
    private func markEnded() -> (@Sendable () -> Void)? {
        self.state.withLock { state in
            guard !state.ended else { return nil }
            state.ended = true
            let cleanup = state.cleanup ?? {}
            state.cleanup = nil
            return cleanup
        }
    }
}

extension KubeEmulatorStreamWriter {
    /// Ends the stream after `delay` (a watch's `timeoutSeconds`).
    func endAfter(_ delay: TimeAmount) {
        self.eventLoop.scheduleTask(in: delay) { self.end() }
    }
}
