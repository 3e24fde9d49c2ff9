import Foundation
import Yams

/// A kubeconfig with one cluster, one user whose `exec` runs `vzauth login`, and one context; and its merge into an
/// existing kubeconfig.
///
/// (KubeClient's `KubeconfigFile` only reads the fields a client needs and drops the rest, so a merge works on the
/// YAML nodes of the existing file and keeps everything in it.)
struct LoginKubeconfig: Encodable {
    struct NamedCluster: Encodable {
        struct Cluster: Encodable {
            var server: String
            var certificateAuthorityData: String?

            enum CodingKeys: String, CodingKey {
                case server
                case certificateAuthorityData = "certificate-authority-data"
            }
        }

        var name: String
        var cluster: Cluster
    }

    struct NamedUser: Encodable {
        struct User: Encodable {
            var exec: Exec
        }

        /// A client-go exec credential plugin (`client.authentication.k8s.io/v1`).
        struct Exec: Encodable {
            var apiVersion = "client.authentication.k8s.io/v1"
            var command: String
            var args: [String]
            var interactiveMode = "IfAvailable"
            var provideClusterInfo = false
        }

        var name: String
        var user: User
    }

    struct NamedContext: Encodable {
        struct Context: Encodable {
            var cluster: String
            var user: String
            var namespace: String?
        }

        var name: String
        var context: Context
    }

    var apiVersion = "v1"
    var kind = "Config"
    var clusters: [NamedCluster]
    var users: [NamedUser]
    var contexts: [NamedContext]
    var currentContext: String

    enum CodingKeys: String, CodingKey {
        case apiVersion, kind, clusters, users, contexts
        case currentContext = "current-context"
    }

    /// The YAML text.
    func yaml() throws -> String {
        try YAMLEncoder().encode(self)
    }

    /// `existing` (a kubeconfig's text; empty: none) with this file's cluster, user and context added, replacing
    /// entries of the same names and keeping every other entry and field. `current-context` is set only when
    /// `existing` has none.
    func merged(into existing: String) throws -> String {
        let addition = try Yams.compose(yaml: self.yaml())?.mapping ?? [:]
        var root: Node.Mapping
        if existing.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            root = [:]
        } else {
            guard let mapping = try Yams.compose(yaml: existing)?.mapping else {
                throw KubeconfigMergeError(message: "the existing kubeconfig is not a YAML mapping")
            }
            root = mapping
        }
        if root["apiVersion"] == nil { root["apiVersion"] = addition["apiVersion"] }
        if root["kind"] == nil { root["kind"] = addition["kind"] }
        for section in ["clusters", "users", "contexts"] {
            var entries = root[section]?.sequence.map { Array($0) } ?? []
            for entry in addition[section]?.sequence ?? [] {
                let name = entry.mapping?["name"]?.string
                if let index = entries.firstIndex(where: { $0.mapping?["name"]?.string == name }) {
                    entries[index] = entry
                } else {
                    entries.append(entry)
                }
            }
            root[section] = .sequence(Node.Sequence(entries))
        }
        if root["current-context"]?.string?.isEmpty ?? true {
            root["current-context"] = addition["current-context"]
        }
        return try Yams.serialize(node: .mapping(root))
    }
}
