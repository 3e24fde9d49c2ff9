public import NIOHTTP1
public import ProxyCore

extension APIProxyPolicy {
    /// A Kubernetes `Status` for a request the forwarder refused itself, with the CORS headers an allowed origin
    /// needs to read it.
    public func refusalResponse(_ refusal: ClientRequestRefusal, for head: HTTPRequestHead) -> LocalResponse {
        var headers = HTTPHeaders([("Cache-Control", "no-store")])
        if let cors = corsHeaders(for: head) { headers.add(contentsOf: cors) }
        let reason: String
        switch refusal.status {
        case .forbidden: reason = "Forbidden"
        case .methodNotAllowed: reason = "MethodNotAllowed"
        default: reason = "BadRequest"
        }
        return StatusResponse.make(refusal.status, reason: reason, message: refusal.message, headers: headers,
                                   refusal: refusal.reason)
    }

    /// A Kubernetes `Status` 500 when the policy itself failed (a token check that threw): the error is logged by
    /// the forwarder, not repeated to the client.
    public func policyFailureResponse(_ error: any Error, for head: HTTPRequestHead) -> LocalResponse {
        var headers = HTTPHeaders([("Cache-Control", "no-store")])
        if let cors = corsHeaders(for: head) { headers.add(contentsOf: cors) }
        return StatusResponse.make(.internalServerError, reason: "InternalError",
                                   message: "the API proxy could not decide on the request; see its log", headers: headers,
                                   refusal: "policy_failed")
    }
}
