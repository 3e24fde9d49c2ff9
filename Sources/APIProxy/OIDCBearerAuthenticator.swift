public import OIDC
public import Prometheus
import ProxyCore

/// Checks bearer tokens with the shared OIDC ``TokenAuthenticator`` and counts failures by reason.
public struct OIDCBearerAuthenticator: BearerTokenAuthenticator {
    private let authenticator: TokenAuthenticator
    private let failures: CounterFamily

    /// Wraps `authenticator`; failures are counted in `registry` as
    /// `vzauth_authentication_failures_total{reason=...}`.
    public init(authenticator: TokenAuthenticator, registry: PrometheusCollectorRegistry) {
        self.authenticator = authenticator
        self.failures = CounterFamily(registry: registry, name: "vzauth_authentication_failures_total", label: "reason",
                                      help: "Bearer tokens refused, by reason.")
    }

    public func authenticateImmediately(_ token: String) -> ImmediateAuthentication {
        switch authenticator.authenticateWithCurrentKeys(token) {
        case .authenticated(let identity):
            return .authenticated(ProxyIdentity(username: identity.username, groups: identity.groups))
        case .rejected(let error):
            return .failed(failure(error))
        case .needsKeyRefresh:
            return .needsAsynchronousCheck
        }
    }

    public func authenticate(_ token: String) async -> Result<ProxyIdentity, AuthenticationFailure> {
        do {
            let identity = try await authenticator.authenticate(token)
            return .success(ProxyIdentity(username: identity.username, groups: identity.groups))
        } catch {
            return .failure(failure(error))
        }
    }

    private func failure(_ error: OIDCError) -> AuthenticationFailure {
        failures.increment(error.metricLabel)
        return AuthenticationFailure(httpStatus: error.httpStatus, reason: error.metricLabel, message: error.message)
    }
}
