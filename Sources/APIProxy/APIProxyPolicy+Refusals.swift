import NIOCore
import NIOHTTP1
public import ProxyCore
import Multicluster
import ProxyFrontDoor

extension APIProxyPolicy {
    /// A Kubernetes `Status` for a request the forwarder refused itself, with the CORS headers an allowed origin
    /// needs to read it.
    public func refusalResponse(_ refusal: ClientRequestRefusal, for head: RequestHead) -> LocalResponse {
        status(ProxyRefusal(refusal.status, reason: refusal.reason, message: refusal.message), for: head)
    }

    /// A Kubernetes `Status` 500 when the policy itself failed (a token check that threw): the error is logged by
    /// the forwarder, not repeated to the client.
    public func policyFailureResponse(_ error: any Error, for head: RequestHead) -> LocalResponse {
        status(ProxyRefusal(.internalServerError, reason: "policy_failed",
                            message: "the API proxy could not decide on the request; see its log"), for: head)
    }

    public func upstreamFailureResponse(_ error: any Error, for head: RequestHead) -> LocalResponse {
        if let clusters, let route = try? clusters.route(head) {
            if case .remote(let cluster) = route.destination {
                return status(ManagedClusterRouting.upstreamFailure(error, cluster: cluster), for: head)
            }
        }
        if error is UpstreamConnectFailure {
            return status(ProxyRefusal(.serviceUnavailable, reason: nil, message: "the Kubernetes API server is unavailable"),
                          for: head)
        }
        if let timeout = error as? UpstreamResponseTimeout {
            let seconds = timeout.timeout.nanoseconds / 1_000_000_000
            return status(ProxyRefusal(.gatewayTimeout, reason: nil,
                                       message: "the Kubernetes API server did not start a response within \(seconds) s"),
                          for: head)
        }
        return status(ProxyRefusal(.badGateway, reason: nil,
                                   message: "the Kubernetes API server closed the connection unexpectedly"), for: head)
    }

    /// `refusal` as a `Status`, with `Cache-Control: no-store` and the CORS headers `head` earns.
    private func status(_ refusal: ProxyRefusal, for head: RequestHead) -> LocalResponse {
        var headers = HTTPHeaders([("Cache-Control", "no-store")])
        if let cors = corsHeaders(for: head) { headers.add(contentsOf: cors) }
        return .kubernetesStatus(refusal, headers: headers)
    }
}
