public import NIOCore

/// Work a policy cannot finish on the event loop (a key refetch, a token exchange), and the one place where it
/// returns to the forwarder's event loop.
///
/// A policy makes one with ``task(_:)`` from `async` code; the forwarder starts it with ``start(on:)`` and
/// continues on its own event loop when it completes. Work that fails (it throws, or its future fails) becomes the
/// policy's ``RequestPolicy/policyFailureResponse(_:for:)``: a 500 that does not repeat the error, which the
/// forwarder logs.
public struct Deferred<Value: Sendable>: Sendable {
    private let begin: @Sendable (any EventLoop) -> EventLoopFuture<Value>

    private init(begin: @escaping @Sendable (any EventLoop) -> EventLoopFuture<Value>) {
        self.begin = begin
    }

    /// Work done by `work` in a task of its own.
    public static func task(_ work: @escaping @Sendable () async throws -> Value) -> Self {
        Self { eventLoop in
            let promise = eventLoop.makePromise(of: Value.self)
            promise.completeWithTask(work)
            return promise.futureResult
        }
    }

    /// Work whose result a future made on the forwarder's event loop delivers (timers, and harnesses that decide
    /// when a test says so).
    public static func future(_ make: @escaping @Sendable (any EventLoop) -> EventLoopFuture<Value>) -> Self {
        Self(begin: make)
    }

    /// Starts the work; the result is delivered on `eventLoop`.
    public func start(on eventLoop: any EventLoop) -> EventLoopFuture<Value> {
        begin(eventLoop).hop(to: eventLoop)
    }
}
