import ArgumentParser
import Foundation
import KubeClient
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `vzauth kubeconfig`: a kubeconfig whose user runs `vzauth login`, printed or merged into `$KUBECONFIG`.
struct KubeconfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kubeconfig",
        abstract: "Print a kubeconfig (or merge it into yours) whose user logs in with vzauth login.",
        discussion: """
            The user's exec section runs vzauth login with the login options given here, so kubectl gets fresh \
            tokens by itself. With --merge the cluster, user and context are added to the first file of \
            $KUBECONFIG (or ~/.kube/config), replacing entries of the same names and keeping the others.

            Example:
              vzauth kubeconfig --server https://verrazzano.example.com:8443 \\
                                --issuer https://keycloak.example.com/auth/realms/verrazzano-system \\
                                --cluster verrazzano --merge
            """
    )

    @Option(help: "The API proxy's URL, e.g. https://api-proxy.example.com (https: kubectl sends tokens only over TLS).")
    var server: String

    @Option(help: "The name of the cluster and context entries.")
    var cluster: String = "vzauth"

    @Option(help: "The name of the user entry. (default: <cluster>-oidc)")
    var user: String?

    @Option(help: "The context's default namespace.")
    var namespace: String?

    @Option(help: "A PEM file of the CA that signed the API proxy's certificate (embedded); by default the system roots.")
    var certificateAuthority: String?

    @Option(help: "The command kubectl runs instead of the absolute path of this vzauth binary (e.g. vzauth, found in PATH).")
    var command: String?

    @Flag(help: "Merge into the first file of $KUBECONFIG (or ~/.kube/config) instead of printing.")
    var merge = false

    @OptionGroup var login: LoginOptions

    func run() throws {
        let document = try makeDocument()
        guard merge else {
            print(try document.yaml(), terminator: "")
            return
        }
        let path = Self.mergeTarget(environment: ProcessInfo.processInfo.environment)
        let existing = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let merged: String
        do {
            merged = try document.merged(into: existing)
        } catch {
            throw ValidationError("cannot merge into \(path): \(error); fix the file or print the kubeconfig without --merge")
        }
        try Self.write(merged, to: path)
        FileHandle.standardError.write(Data("""
            Merged cluster "\(cluster)", user "\(document.users[0].name)" and context "\(cluster)" into \(path).
            Use it: kubectl config use-context \(cluster)

            """.utf8))
    }

    /// The kubeconfig.
    func makeDocument() throws -> LoginKubeconfig {
        guard let url = URL(string: server), url.scheme?.lowercased() == "https", url.host?.isEmpty == false,
              url.query == nil, url.fragment == nil else {
            throw ValidationError("--server must be the https URL of the API proxy, e.g. https://api-proxy.example.com; got \"\(server)\"")
        }
        guard !cluster.isEmpty else {
            throw ValidationError("--cluster must not be empty")
        }
        var caData: String?
        if let certificateAuthority {
            guard let pem = FileManager.default.contents(atPath: LoginOptions.expandingTilde(certificateAuthority)),
                  String(decoding: pem, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") else {
                throw ValidationError("--certificate-authority: cannot read a PEM certificate from \(certificateAuthority)")
            }
            caData = pem.base64EncodedString()
        }
        let userName = user ?? "\(cluster)-oidc"
        return LoginKubeconfig(
            clusters: [.init(name: cluster, cluster: .init(server: server, certificateAuthorityData: caData))],
            users: [.init(name: userName, user: .init(exec: .init(command: command ?? Self.executablePath(), args: login.arguments())))],
            contexts: [.init(name: cluster, context: .init(cluster: cluster, user: userName, namespace: namespace))],
            currentContext: cluster
        )
    }

    /// The absolute path of the running binary.
    static func executablePath() -> String {
        if let path = Bundle.main.executableURL?.resolvingSymlinksInPath().path, path.hasPrefix("/") {
            return path
        }
        let argument = CommandLine.arguments[0]
        return argument.hasPrefix("/")
            ? argument
            : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(argument).standardized.path
    }

    /// The first file of `$KUBECONFIG`, else `~/.kube/config`.
    static func mergeTarget(environment: [String: String]) -> String {
        if let first = KubeConnection.environmentKubeconfig(environment) {
            return LoginOptions.expandingTilde(first)
        }
        return NSHomeDirectory() + "/.kube/config"
    }

    /// Writes `text` to `path` through a temporary file and a rename, mode 0600 (a kubeconfig may hold secrets).
    static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).vzauth.tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]),
              rename(temporary.path, path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw ValidationError("cannot write \(path); check its directory's permissions")
        }
    }
}
