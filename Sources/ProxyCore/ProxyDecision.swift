
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
    /// The decision needs work off the event loop (see ``Deferred`` for how it comes back, and what a failure
    /// becomes).
    case deferred(Deferred<ProxyDecision>)
}
