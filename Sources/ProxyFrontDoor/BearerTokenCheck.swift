import NIOCore
public import OIDC
public import ProxyCore

/// The result of checking a bearer token the way both proxies do: on the event loop with the keys at hand, and only
/// when those do not suffice (a key the proxy has not fetched yet) off the loop, as ``ProxyCore/Deferred`` work.
///
/// Make one with ``BearerTokenAuthenticator/check(_:)``. A policy turns it into its outcome with one function from
/// the result to its decision, called at once for `.decided` and through ``ProxyCore/Deferred/deciding(_:)`` for
/// `.deferred`:
///
/// ```swift
/// switch authenticator.check(token) {
/// case .decided(let result): return .immediate(decision(result))
/// case .deferred(let check): return .deferred(check.deciding(decision))
/// }
/// ```
///
/// (A closure made only in the deferred branch: the common, decided, path allocates nothing for it.) A proxy that
/// counts refusals by reason does so in that function, with ``OIDC/OIDCError/metricLabel``.
public enum BearerTokenCheck: Sendable {
    /// Decided without I/O.
    case decided(Result<Identity, OIDCError>)
    /// Needs I/O; the work never fails (a refused token is a `.failure`).
    case deferred(Deferred<Result<Identity, OIDCError>>)
}

extension Deferred where Value == Result<Identity, OIDCError> {
    /// The policy's decision for this deferred token check: `decide` applied to its result, on the forwarder's
    /// event loop.
    public func deciding(_ decide: @escaping @Sendable (Result<Identity, OIDCError>) -> ProxyDecision) -> Deferred<ProxyDecision> {
        .future { eventLoop in start(on: eventLoop).map(decide) }
    }
}

extension BearerTokenAuthenticator {
    /// Checks `token` (the part after `Bearer `) with the keys at hand, deferring to
    /// ``authenticate(_:)`` only when they do not suffice.
    public func check(_ token: String) -> BearerTokenCheck {
        outcome(authenticateWithCurrentKeys(token)) { token }
    }

    /// ``check(_:)`` for the token's bytes: a string is made of them only when the check must wait for I/O.
    public func check(bytes token: UnsafeRawBufferPointer) -> BearerTokenCheck {
        outcome(authenticateWithCurrentKeys(bytes: token)) { String(decoding: token, as: UTF8.self) }
    }

    private func outcome(_ outcome: TokenVerificationOutcome, token: () -> String) -> BearerTokenCheck {
        switch outcome {
        case .authenticated(let identity):
            return .decided(.success(identity))
        case .rejected(let error):
            return .decided(.failure(error))
        case .needsKeyRefresh:
            let token = token()
            return .deferred(.task { [self] in
                do throws(OIDCError) {
                    return .success(try await authenticate(token))
                } catch {
                    return .failure(error)
                }
            })
        }
    }
}
