import Foundation
import Logging
import NIOCore
import NIOHTTP1
import OIDC
import ProxyCore
import ProxyFrontDoor

extension OIDCProxyPolicy {
    /// `Authorization: Bearer` (a token from the identity provider) or `Basic` (user name and password, exchanged
    /// with the password grant). Machine clients get 401 or 403, never a login redirect.
    func authenticateMachineClient(_ authorization: String, request: ConsoleRequest) -> PolicyOutcome {
        switch AuthorizationCredential(headerValue: authorization) {
        case .bearer(let token):
            return authenticateBearer(token, request: request)
        case .basic(let encoded):
            return authenticateBasic(encoded, request: request)
        case .malformed(scheme: "bearer"?):
            return .immediate(.respond(machineRefusal(
                ProxyRefusal(.unauthorized, reason: "malformed", message: "Malformed bearer token", challenge: .bearer))))
        case .malformed:
            return .immediate(.respond(machineRefusal(
                ProxyRefusal(.unauthorized, reason: "bad_authorization",
                             message: "Unsupported Authorization header", challenge: .bearer))))
        case .unsupported:
            return .immediate(.respond(machineRefusal(
                ProxyRefusal(.unauthorized, reason: "bad_authorization",
                             message: "Unsupported Authorization scheme", challenge: .bearer))))
        }
    }

    private func authenticateBearer(_ token: String, request: ConsoleRequest) -> PolicyOutcome {
        @Sendable func decision(_ result: Result<Identity, OIDCError>) -> ProxyDecision {
            switch result {
            case .success(let identity): forward(request, as: ForwardedIdentity(identity, withRoles: true))
            case .failure(let error): .respond(machineRefusal(ProxyRefusal(error)))
            }
        }
        switch authenticator.check(token) {
        case .decided(let result): return .immediate(decision(result))
        case .deferred(let check): return .deferred(check.deciding(decision))
        }
    }

    /// Malformed `Basic` credentials.
    private static let malformedBasic = ProxyRefusal(.unauthorized, reason: "malformed_basic",
                                                     message: "Malformed Basic credentials", challenge: .bearer)

    private func authenticateBasic(_ encoded: String, request: ConsoleRequest) -> PolicyOutcome {
        guard let credentials = BasicCredentials(encoded: encoded) else {
            return .immediate(.respond(machineRefusal(Self.malformedBasic)))
        }
        if let granted = passwords.cached(credentials) {
            return .immediate(forward(request, as: ForwardedIdentity(granted.identity, withRoles: true)))
        }
        return .deferred(.task { [self] in
            switch await passwords.grant(credentials) {
            case .success(let granted):
                return forward(request, as: ForwardedIdentity(granted.identity, withRoles: true))
            case .failure(.unavailable):
                return .respond(.consoleText(PasswordGrantFailure.unavailable.refusal))
            case .failure(let failure):
                return .respond(machineRefusal(failure.refusal))
            }
        })
    }

    /// A password grant's identity must reach the console exactly; else it is refused (and not cached).
    static func consoleAcceptance(_ granted: PasswordGrant, mapping: ClaimMapping, logger: Logger) -> PasswordGrantFailure? {
        guard let refusal = ForwardedIdentity(granted.identity, withRoles: true).consoleRefusal else { return nil }
        logRefusedIdentity(refusal, context: "password grant", mapping: mapping, logger: logger)
        let explanation = refusal.explanation(in: mapping)
        return .refused(ProxyRefusal(.unauthorized, reason: "invalid_identity",
                                     message: "Invalid identity in token: \(explanation)", challenge: .bearer))
    }

    /// A machine client's refusal (401 with a challenge, or 403), counted by reason.
    func machineRefusal(_ refusal: ProxyRefusal) -> LocalResponse {
        if let reason = refusal.reason { metrics.authenticationFailed(reason) }
        return .consoleText(refusal)
    }
}
