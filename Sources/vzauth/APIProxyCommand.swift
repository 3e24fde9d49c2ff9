import ArgumentParser

/// `vzauth api-proxy`: the Kubernetes API proxy.
struct APIProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api-proxy",
        abstract: "Serve the Kubernetes API to holders of Keycloak bearer tokens, impersonating them.",
        discussion: """
            Validates each request's bearer token against the OIDC issuer, then forwards the request to the \
            Kubernetes API server with the proxy's own credentials and Impersonate-User / Impersonate-Group \
            headers for the token's user. Kubernetes RBAC decides what the user may do.

            Example:
              vzauth api-proxy --oidc-issuer https://keycloak.example.com/auth/realms/verrazzano-system \\
                               --oidc-client-id verrazzano-pkce --oidc-client-id verrazzano-pg \\
                               --kubeconfig ~/.kube/config
            """
    )

    @OptionGroup var options: APIProxyOptions

    func run() async throws {
        let settings: APIProxySettings
        do {
            settings = try APIProxySettings.resolve(options)
        } catch {
            throw ValidationError(error.description)
        }
        try await APIProxyRuntime(settings: settings).run()
    }
}
