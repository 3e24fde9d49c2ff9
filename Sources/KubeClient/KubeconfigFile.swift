/// The parts of a kubeconfig file (`apiVersion: v1`, `kind: Config`) this client reads.
struct KubeconfigFile: Decodable {
    struct NamedCluster: Decodable {
        var name: String
        var cluster: Cluster?
    }

    struct Cluster: Decodable {
        var server: String?
        var certificateAuthority: String?
        var certificateAuthorityData: String?
        var insecureSkipTLSVerify: Bool?
        var tlsServerName: String?
        var proxyURL: String?

        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case tlsServerName = "tls-server-name"
            case proxyURL = "proxy-url"
        }
    }

    struct NamedUser: Decodable {
        var name: String
        var user: User?
    }

    struct User: Decodable {
        var token: String?
        var tokenFile: String?
        var clientCertificate: String?
        var clientCertificateData: String?
        var clientKey: String?
        var clientKeyData: String?
        var username: String?
        var password: String?
        var impersonate: String?
        var exec: Exec?
        var authProvider: Ignored?

        enum CodingKeys: String, CodingKey {
            case token
            case tokenFile
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
            case username
            case password
            case impersonate = "as"
            case exec
            case authProvider = "auth-provider"
        }
    }

    /// A user's `exec` credential plugin (client.authentication.k8s.io).
    struct Exec: Decodable {
        var apiVersion: String?
        var command: String?
        var args: [String]?
        var env: [EnvVar]?
        var installHint: String?
    }

    /// One `exec.env` entry.
    struct EnvVar: Decodable {
        var name: String
        var value: String
    }

    /// Any YAML value whose content is not needed, only its presence.
    struct Ignored: Decodable {
        init(from decoder: any Decoder) throws {}
    }

    struct NamedContext: Decodable {
        var name: String
        var context: Context?
    }

    struct Context: Decodable {
        var cluster: String?
        var user: String?
        var namespace: String?
    }

    var clusters: [NamedCluster]?
    var users: [NamedUser]?
    var contexts: [NamedContext]?
    var currentContext: String?

    enum CodingKeys: String, CodingKey {
        case clusters
        case users
        case contexts
        case currentContext = "current-context"
    }
}
