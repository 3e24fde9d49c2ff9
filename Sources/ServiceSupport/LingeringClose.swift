package import NIOCore

/// Closes a connection the way a server that answered and wants to hang up must (nginx's lingering close): first
/// the sending side, then, after `lingeringTime` of reading and dropping what the client still sends, the whole
/// connection. Closing at once with unread input would reset the connection and could destroy the answer before
/// the client read it.
package enum LingeringClose {
    /// Starts the lingering close of `context`'s channel. Call it on the channel's event loop once the answer is
    /// written; the handler must drop what it reads meanwhile.
    package static func start(_ context: ChannelHandlerContext, lingeringTime: TimeAmount) {
        let outputClosed = context.eventLoop.makePromise(of: Void.self)
        context.close(mode: .output, promise: outputClosed)
        // A channel that cannot close only its output (TLS) closes whole at once.
        outputClosed.futureResult.assumeIsolated().whenFailure { _ in context.close(promise: nil) }
        context.eventLoop.assumeIsolated().scheduleTask(in: lingeringTime) { context.close(promise: nil) }
    }
}
