import Foundation

/// `sandbox.json`: what a script needs to use the sandbox (where everything listens, the users, their passwords
/// and kubeconfigs), and the ports a second start reuses.
struct SandboxSummary: Codable, Sendable {
    struct User: Codable, Sendable {
        var name: String
        var password: String
        var groups: [String]
        /// kubectl with `vzauth login --grant password` (no browser).
        var kubeconfig: String
        /// kubectl with `vzauth login` in a browser.
        var browserKubeconfig: String
    }

    struct Management: Codable, Sendable {
        var apiProxy: String
        var oidcProxy: String
        var rbacController: String
    }

    /// The OpenID issuer (development only).
    var issuer: String
    /// The API proxy (https, signed by ``certificateAuthority``).
    var apiProxy: String
    /// The demo console behind the OIDC proxy.
    var console: String
    /// The Kubernetes API server the proxy forwards to (the emulator's, or the cluster of `--kubeconfig`).
    var kubernetes: String
    /// An admin kubeconfig of the emulator (none with a real cluster).
    var adminKubeconfig: String?
    /// `/healthz`, `/readyz` and `/metrics` of each component.
    var management: Management
    /// The CA of the sandbox's https listeners.
    var certificateAuthority: String
    var users: [User]
    var ports: SandboxPorts
}
