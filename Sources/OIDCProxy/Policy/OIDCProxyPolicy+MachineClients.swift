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
        guard encoded.utf8.count <= 4_096, let data = Data(base64Encoded: encoded),
              let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") else {
            return .immediate(.respond(machineRefusal(Self.malformedBasic)))
        }
        let username = String(text[..<colon])
        let password = String(text[text.index(after: colon)...])
        guard !username.isEmpty, !password.isEmpty else {
            return .immediate(.respond(machineRefusal(Self.malformedBasic)))
        }
        let key = passwords.key(username: username, password: password)
        if let identity = passwords.identity(for: key, now: now()) {
            return .immediate(forward(request, as: ForwardedIdentity(identity, withRoles: true)))
        }
        return .deferred(.task { [self] in
            let outcome = await passwords.obtain(key: key, now: now) { [self] in
                await passwordGrant(username: username, password: password)
            }
            switch outcome {
            case .success(let identity):
                return forward(request, as: ForwardedIdentity(identity, withRoles: true))
            case .failure(.rejected):
                return .respond(machineRefusal(
                    ProxyRefusal(.unauthorized, reason: "bad_credentials",
                                 message: "Invalid user name or password", challenge: .bearer)))
            case .failure(.unavailable):
                return .respond(.consoleText(
                    ProxyRefusal(.serviceUnavailable, reason: "password_grant_unavailable",
                                 message: "The identity provider is not reachable; try again shortly")))
            case .failure(.refused(let refusal)):
                return .respond(machineRefusal(refusal))
            }
        })
    }

    private func passwordGrant(username: String, password: String) async -> Result<Identity, PasswordGrantFailure> {
        let tokens: OIDCTokenResponse
        do throws(OIDCTokenEndpointError) {
            tokens = try await tokenClient.passwordGrant(
                username: username, password: password, clientID: configuration.passwordClientID,
                clientSecret: configuration.passwordClientSecret?.current(),
                scope: configuration.requestedScope(discovery: discovery()))
        } catch {
            if error.kind == .rejected {
                // The provider's own word in the log: a wrong password (invalid_grant) and a client the provider
                // refuses (invalid_client, unauthorized_client: a missing --oidc-password-client-secret-file) look
                // the same to the user.
                logger.notice("password grant refused", metadata: ["error": "\(error)"])
                return .failure(.rejected)
            }
            logger.warning("password grant failed", metadata: ["error": "\(error)"])
            return .failure(.unavailable)
        }
        let identity: Identity
        do throws(OIDCError) {
            identity = try await authenticator.authenticate(tokens.idToken ?? tokens.accessToken)
        } catch {
            return .failure(.refused(ProxyRefusal(error)))
        }
        // Not cached: a name that cannot reach the console exactly is refused before the identity is kept.
        if let refusal = ForwardedIdentity(identity, withRoles: true).consoleRefusal {
            logRefusedIdentity(refusal, context: "password grant")
            let explanation = refusal.explanation(in: authenticator.mapping)
            return .failure(.refused(
                ProxyRefusal(.unauthorized, reason: "invalid_identity",
                             message: "Invalid identity in token: \(explanation)", challenge: .bearer)))
        }
        return .success(identity)
    }

    /// A machine client's refusal (401 with a challenge, or 403), counted by reason.
    func machineRefusal(_ refusal: ProxyRefusal) -> LocalResponse {
        if let reason = refusal.reason { metrics.authenticationFailed(reason) }
        return .consoleText(refusal)
    }
}
