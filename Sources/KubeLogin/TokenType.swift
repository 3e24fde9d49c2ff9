/// Which token of a login goes to kubectl.
public enum TokenType: String, Sendable, Hashable, CaseIterable {
    /// The access token (default): what the API proxy accepts; Keycloak's carries `azp` = the client.
    case access
    /// The ID token, for API servers configured with `--oidc-client-id` directly.
    case id
}
