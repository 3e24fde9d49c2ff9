/// Why `vzauth cluster register` cannot register a cluster with the inputs given: every problem found, each a line
/// that names the flag and says what to give instead. Found before any request is sent.
public struct ClusterRegistrationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// One problem with one input.
    public enum Problem: Error, Sendable, Hashable, CustomStringConvertible {
        /// NAME is not a DNS-1123 subdomain (the name given, why).
        case invalidName(String, String)
        /// NAME is too long for its CA Secret's name (the Secret's name).
        case nameTooLongForSecret(String)
        /// `--managed-cluster-namespace` is not a DNS-1123 label (the namespace given).
        case invalidNamespace(String)
        /// `--api-url` cannot be used (the URL given, why).
        case invalidAPIURL(String, String)
        /// `--ca-file` cannot be read (the path, why).
        case unreadableCAFile(String, String)
        /// `--ca-file` has no usable certificate (the path, why).
        case invalidCAFile(String, ClusterCertificateAuthority.Problem)

        /// One line: the flag, what is wrong, what to give.
        public var description: String {
            switch self {
            case .invalidName(let name, let why):
                "NAME \"\(name)\" is not a cluster name: \(why); use a DNS-1123 subdomain such as managed1"
            case .nameTooLongForSecret(let secret):
                "NAME is too long for its CA Secret \(secret) (at most \(ClusterName.maximumLength) characters): use a shorter name"
            case .invalidNamespace(let namespace):
                "--managed-cluster-namespace \"\(namespace)\" is not a namespace name: use a DNS-1123 label such as \(VerrazzanoManagedCluster.defaultNamespace) (the default)"
            case .invalidAPIURL(let url, let why):
                "--api-url \"\(url)\" \(why): give the managed cluster's API proxy as https://HOST[:PORT][/PATH], e.g. https://managed1-proxy.example.com"
            case .unreadableCAFile(let path, let why):
                "--ca-file \(path) cannot be read (\(why)): give a readable PEM file of the CA that signed the managed cluster's API proxy certificate"
            case .invalidCAFile(let path, let problem):
                "--ca-file \(path): \(problem); give a PEM file of the CA that signed the managed cluster's API proxy certificate"
            }
        }
    }

    /// Every problem, in the order of the command line.
    public var problems: [Problem]

    /// Creates an error.
    public init(problems: [Problem]) {
        self.problems = problems
    }

    /// `invalid input:` and one line per problem, as other subcommands report invalid settings.
    public var description: String {
        "invalid input:\n" + self.problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
