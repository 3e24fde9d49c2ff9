public import Logging
public import OIDC

extension PasswordGrant {
    /// Exchanges `credentials` for tokens with the password grant at the issuer of `tokenClient`, and verifies them
    /// as a bearer token is verified: the ID token (issued for the client, so verifiable whatever the access token's
    /// audience), else the access token; the first that verifies is the grant's token.
    ///
    /// Logs a refused grant at notice level with the provider's error (never the password), a failed one at warning.
    public static func obtain(_ credentials: BasicCredentials, tokenClient: OIDCTokenClient, clientID: String,
                              clientSecret: OIDCClientSecret?, scope: String, authenticator: any BearerTokenAuthenticator,
                              logger: Logger) async -> Result<PasswordGrant, PasswordGrantFailure> {
        let tokens: OIDCTokenResponse
        do throws(OIDCTokenEndpointError) {
            tokens = try await tokenClient.passwordGrant(
                username: credentials.username, password: credentials.password, clientID: clientID,
                clientSecret: clientSecret, scope: scope)
        } catch {
            if error.kind == .rejected {
                // The provider's own word in the log: a wrong password (invalid_grant) and a client the provider
                // refuses (invalid_client, unauthorized_client: a missing client secret file) look the same to the
                // user.
                logger.notice("password grant refused", metadata: ["error": "\(error)"])
                return .failure(.rejected)
            }
            logger.warning("password grant failed", metadata: ["error": "\(error)"])
            return .failure(.unavailable)
        }
        var firstError: OIDCError?
        for token in [tokens.idToken, tokens.accessToken].compactMap({ $0 }) {
            do throws(OIDCError) {
                return .success(PasswordGrant(identity: try await authenticator.authenticate(token), token: token))
            } catch {
                firstError = firstError ?? error
            }
        }
        return .failure(.refused(ProxyRefusal(firstError ?? .malformed)))
    }
}
