import NIOCore
import NIOHTTP1
import ServiceSupport

/// What the handler serving a client connection must do next, as decided by ``ExchangeStateMachine``.
///
/// The handler executes actions in the order they were produced. Some report back to the machine (named in each
/// case's comment); the machine ignores a report that comes too late (the client left, the exchange moved on).
enum ExchangeAction<Upstream> {
    /// A request starts being served: its duration in the access log counts from now.
    case startClock
    /// Ask the policy about this head (hop-by-hop and framing headers removed); report
    /// ``ExchangeStateMachine/decided(_:into:)``, or for deferred work that failed
    /// ``ExchangeStateMachine/decisionFailed(_:into:)``.
    case decide(RequestHead)
    /// Run the body reader on the whole body, off the event loop; report ``ExchangeStateMachine/answered(_:into:)``
    /// or ``ExchangeStateMachine/answerFailed(_:into:)``.
    case answerFromBody(BodyReader, ByteBuffer)
    /// Get a connection to the endpoint, an idle pooled one when `reusable`, else a new one; report
    /// ``ExchangeStateMachine/upstreamReady(_:attempt:into:)`` or
    /// ``ExchangeStateMachine/upstreamUnreachable(_:attempt:into:)`` with the same `attempt`.
    case acquireUpstream(UpstreamEndpoint, reusable: Bool, attempt: Int)
    /// Start serving a request on the connection (it reports to this handler from now on; its response framer
    /// learns the method), and write the request head's bytes.
    case beginUpstreamRequest(Upstream, method: HTTPMethod, head: ByteBuffer)
    /// Write request bytes to the upstream, unflushed.
    case writeUpstream(Upstream, ByteBuffer)
    /// The whole request reached the upstream: its response-head clock starts (report
    /// ``ExchangeStateMachine/responseHeadTimedOut(_:into:)`` when it runs out). The clock stops with the next
    /// action that answers the client or lets go of the upstream.
    case awaitResponseHead
    /// Flush the upstream connection (coalesced with other flushes in this event loop tick).
    case flushUpstream(Upstream)
    /// Stop or restart reading the upstream's response (the client cannot take more, or can again).
    case pauseUpstreamReads(Upstream)
    case resumeUpstreamReads(Upstream)
    /// The connection carried its request and response completely: stop listening to it and pool it.
    case releaseUpstream(Upstream)
    /// Stop listening to the connection and close it.
    case closeUpstream(Upstream)
    /// Write a response the proxy made (framing headers set), then flush.
    case writeLocalResponse(HTTPResponseHead, body: ByteBuffer, requestMethod: HTTPMethod)
    /// Relay the upstream's response head, body bytes and end (flushes are separate).
    case writeResponseHead(RelayedResponseHead)
    case writeResponseBody(ByteBuffer)
    case writeResponseEnd(HTTPHeaders?)
    /// Flush the client connection (coalesced).
    case flushClient
    /// Write the `101` and switch both connections to a byte relay.
    case switchProtocols(HTTPResponseHead, Upstream)
    /// Answer bytes that are not a request (the decoder's error), then close after lingering.
    case answerMalformed(ClientRequestError)
    /// Read more from the client.
    case readClient
    /// The connection waits for a request head: the idle timeout counts from now.
    case becameIdle
    /// Close the client connection after flushing what was written.
    case closeClient
    /// Record a finished exchange in the metrics and the access log.
    case record(ExchangeRecord)
    /// Count a refused request, or a failure of the upstream, in the metrics.
    case countRefusal(reason: String)
    case countUpstreamError(kind: String)
    /// Log something an operator should know.
    case warn(ExchangeWarning)
}

/// One finished exchange, for the metrics and the access log.
struct ExchangeRecord {
    /// The request (its method and target are logged).
    var head: RequestHead
    /// The status sent, or 499 when the client left before a response started.
    var status: Int
    var user: String?
    var refusalReason: String?
}

/// What an exchange reports to the operator's log.
enum ExchangeWarning {
    /// A policy's deferred work failed (the client got the policy's failure response).
    case policyFailed(any Error)
    /// A body reader's work failed.
    case answerFailed(any Error)
    /// The upstream could not be reached.
    case upstreamUnreachable(endpoint: String, error: any Error)
    /// The upstream sent no response head in time.
    case upstreamTimedOut(endpoint: String)
    /// The upstream closed the connection before responding.
    case upstreamClosedEarly(endpoint: String, error: (any Error)?)
    /// The policy's head would not arrive exactly as it is; it was not sent.
    case unsafeHead(user: String?)
}
