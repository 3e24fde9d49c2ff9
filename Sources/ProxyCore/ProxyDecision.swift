public import NIOCore
public import NIOHTTP1

/// What a ``RequestPolicy`` decides to do with one incoming request.
public enum ProxyDecision: Sendable {
    /// Answer the request locally (an error, a CORS preflight, ...). The request body is read and dropped.
    case respond(LocalResponse)
    /// Forward the request upstream.
    case forward(ForwardPlan)
    /// Read the whole request body (bounded), then answer locally: for the few endpoints a proxy serves itself
    /// that take a body (a back-channel logout `POST`).
    case respondAfterBody(BodyReader)
}

/// A decision now, or later.
public enum PolicyOutcome: Sendable {
    /// The decision is known.
    case immediate(ProxyDecision)
    /// The decision will be known when the future completes (a failed future becomes the policy's
    /// ``RequestPolicy/policyFailureResponse(_:for:)``, a 500).
    case deferred(EventLoopFuture<ProxyDecision>)
}
