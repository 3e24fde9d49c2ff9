/// The `--config` files the sandbox starts each component from, written to the folder so that a user can read, and
/// reuse, exactly how each was started (`vzauth api-proxy --config vzauth-sandbox/api-proxy.yaml` starts the same
/// proxy on its own).
struct SandboxConfigs {
    let folder: SandboxFolder
    let ports: SandboxPorts
    let issuer: String
    let tls: (certificate: String, key: String)
    let kubernetes: SandboxKubernetes
    let logLevel: String
    let logFormat: String

    /// `api-proxy.yaml`: TLS with the sandbox's certificate, tokens of the sandbox's issuer (Basic too, for
    /// verrazzano-pg), users impersonated on the sandbox's Kubernetes.
    func apiProxy() throws -> String {
        try folder.write("""
            # vzauth api-proxy as vzauth sandbox starts it (vzauth api-proxy --config \(folder.path("api-proxy.yaml")))
            listen: 127.0.0.1:\(ports.apiProxy)
            management-listen: 127.0.0.1:\(ports.apiProxyManagement)
            tls-cert-file: \(tls.certificate)
            tls-private-key-file: \(tls.key)
            oidc-issuer: \(issuer)
            oidc-client-id: [verrazzano-pkce, verrazzano-pg]
            required-role: vz_api_access
            # Keycloak's user ids (sub, the default) are unique but unreadable; the sandbox's user names are unique too.
            username-claim: preferred_username
            kubeconfig: \(kubernetes.proxyKubeconfig)
            shutdown-grace-period: 2
            log-level: \(logLevel)
            log-format: \(logFormat)

            """, to: "api-proxy.yaml", mode: 0o644)
    }

    /// `oidc-proxy.yaml`: single sign-on in front of the demo console (plain HTTP on loopback: cookies without
    /// `Secure`, which browsers accept for 127.0.0.1).
    func oidcProxy() throws -> String {
        let secret = try folder.randomSecret("oidc-proxy/cookie-secret")
        return try folder.write("""
            # vzauth oidc-proxy as vzauth sandbox starts it (vzauth oidc-proxy --config \(folder.path("oidc-proxy.yaml")))
            listen: 127.0.0.1:\(ports.console)
            management-listen: 127.0.0.1:\(ports.consoleProxyManagement)
            oidc-issuer: \(issuer)
            required-role: vz_api_access
            upstream: http://127.0.0.1:\(ports.demoConsole)
            public-url: http://localhost:\(ports.console)
            cookie-secret-file: [\(secret)]
            shutdown-grace-period: 2
            log-level: \(logLevel)
            log-format: \(logFormat)

            """, to: "oidc-proxy.yaml", mode: 0o644)
    }

    /// `rbac-controller.yaml`: reconciles the Verrazzano roles and the demo project on the sandbox's Kubernetes.
    func rbacController() throws -> String {
        try folder.write("""
            # vzauth rbac-controller as vzauth sandbox starts it (vzauth rbac-controller --config \(folder.path("rbac-controller.yaml")))
            kubeconfig: \(kubernetes.controllerKubeconfig)
            management-listen: 127.0.0.1:\(ports.rbacControllerManagement)
            leader-election-namespace: verrazzano-system
            log-level: \(logLevel)
            log-format: \(logFormat)

            """, to: "rbac-controller.yaml", mode: 0o644)
    }
}
