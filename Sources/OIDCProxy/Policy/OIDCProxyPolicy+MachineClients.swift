import Foundation
import Logging
import NIOCore
import NIOHTTP1
import OIDC
import ProxyCore

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
            return .immediate(.respond(machineRefusal(status: 401, reason: "malformed", message: "Malformed bearer token")))
        case .malformed:
            return .immediate(.respond(machineRefusal(status: 401, reason: "bad_authorization", message: "Unsupported Authorization header")))
        case .unsupported:
            return .immediate(.respond(machineRefusal(status: 401, reason: "bad_authorization", message: "Unsupported Authorization scheme")))
        }
    }

    private func authenticateBearer(_ token: String, request: ConsoleRequest) -> PolicyOutcome {
        switch authenticator.authenticateWithCurrentKeys(token) {
        case .authenticated(let identity):
            return .immediate(forward(request, as: ConsoleIdentity(identity)))
        case .rejected(let error):
            return .immediate(.respond(machineRefusal(status: error.httpStatus, reason: error.metricLabel, message: error.message)))
        case .needsKeyRefresh:
            return .deferred(.task { [self] in
                do throws(OIDCError) {
                    return forward(request, as: ConsoleIdentity(try await authenticator.authenticate(token)))
                } catch {
                    return .respond(machineRefusal(status: error.httpStatus, reason: error.metricLabel, message: error.message))
                }
            })
        }
    }

    private func authenticateBasic(_ encoded: String, request: ConsoleRequest) -> PolicyOutcome {
        guard encoded.utf8.count <= 4_096, let data = Data(base64Encoded: encoded),
              let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") else {
            return .immediate(.respond(machineRefusal(status: 401, reason: "malformed_basic", message: "Malformed Basic credentials")))
        }
        let username = String(text[..<colon])
        let password = String(text[text.index(after: colon)...])
        guard !username.isEmpty, !password.isEmpty else {
            return .immediate(.respond(machineRefusal(status: 401, reason: "malformed_basic", message: "Malformed Basic credentials")))
        }
        let key = passwords.key(username: username, password: password)
        if let identity = passwords.identity(for: key, now: now()) {
            return .immediate(forward(request, as: ConsoleIdentity(identity)))
        }
        return .deferred(.task { [self] in
            let outcome = await passwords.obtain(key: key, now: now) { [self] in
                await passwordGrant(username: username, password: password)
            }
            switch outcome {
            case .success(let identity):
                return forward(request, as: ConsoleIdentity(identity))
            case .failure(.rejected):
                return .respond(machineRefusal(status: 401, reason: "bad_credentials", message: "Invalid user name or password"))
            case .failure(.unavailable):
                return .respond(LocalAnswers.text(.serviceUnavailable, "The identity provider is not reachable; try again shortly",
                                                  refusal: "password_grant_unavailable"))
            case .failure(.refused(let status, let reason, let message)):
                return .respond(machineRefusal(status: status, reason: reason, message: message))
            }
        })
    }

    private func passwordGrant(username: String, password: String) async -> Result<Identity, PasswordGrantFailure> {
        let tokens: OIDCTokenResponse
        do throws(OIDCTokenEndpointError) {
            tokens = try await tokenClient.passwordGrant(username: username, password: password,
                                                         clientID: configuration.passwordClientID)
        } catch {
            if error.kind == .rejected { return .failure(.rejected) }
            logger.warning("password grant failed", metadata: ["error": "\(error)"])
            return .failure(.unavailable)
        }
        let identity: Identity
        do throws(OIDCError) {
            identity = try await authenticator.authenticate(tokens.idToken ?? tokens.accessToken)
        } catch {
            return .failure(.refused(status: error.httpStatus, reason: error.metricLabel, message: error.message))
        }
        // Not cached: a name that cannot reach the console exactly is refused before the identity is kept.
        if let refusal = ConsoleIdentity(identity).refusal {
            logRefusedIdentity(refusal, context: "password grant")
            let explanation = refusal.explanation(in: authenticator.mapping)
            return .failure(.refused(status: 401, reason: "invalid_identity",
                                     message: "Invalid identity in token: \(explanation)"))
        }
        return .success(identity)
    }

    /// 401 (with `WWW-Authenticate`) or 403 for a machine client.
    func machineRefusal(status: Int, reason: String, message: String) -> LocalResponse {
        metrics.authenticationFailed(reason)
        if status == 403 {
            return LocalAnswers.text(.forbidden, message, refusal: reason)
        }
        return LocalAnswers.text(.unauthorized, message,
                                 extraHeaders: [("WWW-Authenticate", #"Bearer realm="vzauth""#)],
                                 refusal: reason)
    }
}
