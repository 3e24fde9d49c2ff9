import ArgumentParser

/// `vzauth oidc-proxy`: single sign-on in front of web consoles.
struct OIDCProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oidc-proxy",
        abstract: "Log browsers in with the OIDC authorization-code flow (PKCE) in front of web consoles.",
        discussion: """
            An unauthenticated browser is sent to the identity provider's login once; a sealed session cookie then \
            carries the login, refreshed before it expires. Requests reach the console with the user in \
            X-WEBAUTH-USER (Grafana's auth proxy mode), X-Forwarded-User, X-Forwarded-Groups and x-proxy-roles. \
            Machine clients use Authorization: Bearer or Basic and get 401, never a login page.

            Sidecar (one console):
              vzauth oidc-proxy --oidc-issuer https://keycloak.example.com/auth/realms/verrazzano-system \\
                                --upstream http://127.0.0.1:3000 --public-url https://grafana.example.com \\
                                --cookie-secret-file /etc/vzauth/cookie-secret
            Shared (routes by host):
              vzauth oidc-proxy ... --route grafana.example.com=http://grafana:3000 \\
                                    --route opensearch.example.com=http://osd:5601 \\
                                    --login-path opensearch.example.com=/ --login-path opensearch.example.com=/app/*
            """
    )

    @OptionGroup var options: OIDCProxyOptions

    func run() async throws {
        let settings: OIDCProxySettings
        do {
            settings = try OIDCProxySettings.resolve(options)
        } catch {
            throw ValidationError(error.description)
        }
        try await OIDCProxyRuntime(settings: settings).run()
    }
}
