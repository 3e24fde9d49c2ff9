import NIOCore
import NIOHTTP1
public import ServiceSupport

/// A policy decides, per request, whether to answer locally or forward, and how.
///
/// The forwarder calls it on the connection's event loop, so it must not block. A decision that needs no I/O is
/// returned as `.immediate`; one that must wait (a key refetch, a lookup) as `.deferred` with its `async` work
/// (``Deferred/task(_:)``).
public protocol RequestPolicy: Sendable {
    /// Decides what to do with `head`, whose hop-by-hop and framing fields are already removed (an upgrade request
    /// keeps `Upgrade`; the forwarder writes `Connection: Upgrade` itself). Read its fields in place
    /// (``RequestHead/forEachField(_:)``) on a hot path; forward it relayed (``RelayedRequestHead``) or as a head
    /// made whole (``ForwardPlan/init(upstream:head:responseHeaders:appendedResponseHeaders:logUser:)``).
    func decide(_ head: RequestHead, connection: ConnectionInfo) -> PolicyOutcome

    /// Makes the response for a failure of the forwarding itself (upstream unreachable, reset, ...).
    func upstreamFailureResponse(_ error: any Error, for head: RequestHead) -> LocalResponse

    /// Makes the response for a failure of the policy itself: a `.deferred` decision or a ``BodyReader`` whose
    /// work failed. The forwarder logs the error; the client gets this (by default a plain-text 500 that does not
    /// repeat the error, which may carry internals).
    func policyFailureResponse(_ error: any Error, for head: RequestHead) -> LocalResponse

    /// Makes the response for a request the forwarder refuses itself, before or instead of forwarding it (`TRACE`,
    /// a `Connection` header naming a protected header, `Impersonate-*` in a trailer). The forwarder sets the
    /// refusal reason and, for a 405, the `Allow` header.
    func refusalResponse(_ refusal: ClientRequestRefusal, for head: RequestHead) -> LocalResponse
}

extension RequestPolicy {
    /// A plain-text 500 "Internal error".
    public func policyFailureResponse(_ error: any Error, for head: RequestHead) -> LocalResponse {
        LocalResponse(status: .internalServerError, headers: ["Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"],
                      body: ByteBuffer(string: "Internal error\n"), refusalReason: "policy_failed")
    }

    /// A plain-text answer with the refusal's status and message.
    public func refusalResponse(_ refusal: ClientRequestRefusal, for head: RequestHead) -> LocalResponse {
        LocalResponse(status: refusal.status, headers: ["Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"],
                      body: ByteBuffer(string: refusal.message + "\n"), refusalReason: refusal.reason)
    }
}
