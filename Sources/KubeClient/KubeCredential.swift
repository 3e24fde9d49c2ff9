import Foundation

/// How a ``KubeConnection`` authenticates itself to the API server, apart from a TLS client certificate
/// (which is part of the connection's TLS configuration).
public enum KubeCredential: Sendable {
    /// No `Authorization` header (anonymous, or client-certificate authentication only).
    case none
    /// A fixed bearer token.
    case bearerToken(String)
    /// A bearer token read from a file that may rotate.
    case tokenFile(KubeTokenFile)
    /// HTTP basic authentication (kubeconfig `username` / `password`).
    case basic(username: String, password: String)
    /// A bearer token from an `exec` credential plugin, run again before it expires.
    case exec(KubeExecCredential)

    /// The value of the `Authorization` header to send, e.g. `Bearer abc`, or `nil` for none.
    ///
    /// Fast: never reads a file on the hot path more than ``KubeTokenFile`` allows.
    public func authorizationHeaderValue() -> String? {
        switch self {
        case .none:
            return nil
        case .bearerToken(let token):
            return "Bearer \(token)"
        case .tokenFile(let file):
            return file.currentAuthorizationHeaderValue()
        case .basic(let username, let password):
            return "Basic \(Data("\(username):\(password)".utf8).base64EncodedString())"
        case .exec(let plugin):
            return plugin.currentAuthorizationHeaderValue()
        }
    }
}
