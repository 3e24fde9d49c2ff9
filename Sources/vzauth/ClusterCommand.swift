import ArgumentParser
import Foundation
import Multicluster

/// `vzauth cluster`: helpers for managed clusters reached through the admin cluster's API proxy.
struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Managed clusters reached through the admin cluster's API proxy.",
        subcommands: [ClusterRegisterCommand.self, ClusterKubeconfigCommand.self])
}

/// `vzauth cluster kubeconfig NAME --server URL`: the kubeconfig entries that point kubectl at a managed cluster
/// through the admin cluster's API proxy (`URL/clusters/NAME`).
struct ClusterKubeconfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kubeconfig",
        abstract: "Print a kubeconfig cluster and context for a managed cluster, through the admin cluster's API proxy.",
        discussion: """
            The context uses the user entry named by --user, the one your kubeconfig already has for the admin \
            cluster's API proxy (the same token works for every cluster). Save the output and merge it: \
            KUBECONFIG=~/.kube/config:managed1.yaml kubectl --context NAME get pods -A
            """)

    @Argument(help: "The managed cluster's name (its VerrazzanoManagedCluster).")
    var name: String

    @Option(help: "The admin cluster's API proxy, e.g. https://admin-proxy.example.com (https: kubectl sends tokens only over TLS).")
    var server: String

    @Option(help: "A PEM file of the CA that signed the admin proxy's certificate (embedded); by default the system roots.")
    var certificateAuthority: String?

    @Option(help: "The kubeconfig user entry to use. (default: vzauth)")
    var user: String = "vzauth"

    @Option(help: "The context's default namespace.")
    var namespace: String?

    func run() throws {
        print(try render(), terminator: "")
    }

    /// The kubeconfig text.
    func render() throws -> String {
        guard ClusterName(name) != nil else {
            throw ValidationError("\"\(name)\" is not a cluster name: a DNS-1123 subdomain (lower case letters, digits, '-' and '.')")
        }
        guard let url = URL(string: server), url.scheme?.lowercased() == "https", let host = url.host, !host.isEmpty,
              url.query == nil, url.fragment == nil else {
            throw ValidationError("--server must be an https URL of the admin cluster's API proxy, e.g. https://admin-proxy.example.com; got \"\(server)\"")
        }
        var base = server
        while base.hasSuffix("/") { base.removeLast() }
        var cluster = "    server: \(Self.quoted(base + "/clusters/" + name))\n"
        if let certificateAuthority {
            guard let pem = FileManager.default.contents(atPath: certificateAuthority),
                  String(decoding: pem, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") else {
                throw ValidationError("--certificate-authority: cannot read a PEM certificate from \(certificateAuthority)")
            }
            cluster += "    certificate-authority-data: \(pem.base64EncodedString())\n"
        }
        var context = "    cluster: \(Self.quoted(name))\n    user: \(Self.quoted(user))\n"
        if let namespace { context += "    namespace: \(Self.quoted(namespace))\n" }
        return """
            # The managed cluster \(name), reached through the admin cluster's API proxy \(base).
            apiVersion: v1
            kind: Config
            clusters:
            - name: \(Self.quoted(name))
              cluster:
            \(cluster)contexts:
            - name: \(Self.quoted(name))
              context:
            \(context)current-context: \(Self.quoted(name))

            """
    }

    /// A YAML double-quoted scalar (JSON string escaping is valid YAML).
    static func quoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        // YAML has no `\/` escape.
        encoder.outputFormatting = .withoutEscapingSlashes
        let data = (try? encoder.encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
