import FileSupport
import Foundation
import KubeClient

/// Finds the Kubernetes connection of a subcommand as kubectl does (`--kubeconfig`, else in a pod the service
/// account, else `$KUBECONFIG`, else `~/.kube/config`), with errors that say where the kubeconfig came from and how to
/// change it.
struct KubeConnectionLookup {
    /// The process environment.
    var environment: [String: String] = ProcessInfo.processInfo.environment
    /// Whether a file exists.
    var fileExists: @Sendable (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }
    /// Where a pod's service-account files are.
    var serviceAccountDirectory = KubeConnection.defaultServiceAccountDirectory

    /// A connection and where it came from.
    struct Found {
        var connection: KubeConnection
        /// The kubeconfig read, `nil` in a pod (the service account).
        var kubeconfig: String?
    }

    /// Why no connection could be made, in one line that names the source and the fix.
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// The connection for `kubeconfig` (the flag or config key, if given) and `context`.
    ///
    /// - Throws: ``Problem`` naming the flag, `$KUBECONFIG`, `~/.kube/config` or the in-cluster configuration.
    func connect(kubeconfig: String?, context: String?) throws(Problem) -> Found {
        if let kubeconfig {
            return try Self.attempt(fix: "fix the file or pass another --kubeconfig") {
                Found(connection: try KubeConnection.fromKubeconfig(path: kubeconfig, context: context),
                      kubeconfig: kubeconfig)
            } describe: { "--kubeconfig: \($0)" }
        }
        switch KubeConnection.defaultSource(environment: self.environment, fileExists: self.fileExists) {
        case .environment(let path):
            return try Self.attempt(fix: "fix $KUBECONFIG, or pass --kubeconfig PATH") {
                Found(connection: try KubeConnection.fromKubeconfig(path: path, context: context), kubeconfig: path)
            } describe: { "$KUBECONFIG: \($0)" }
        case .home(let path):
            return try Self.attempt(fix: "fix it, or pass --kubeconfig PATH") {
                Found(connection: try KubeConnection.fromKubeconfig(path: path, context: context), kubeconfig: path)
            } describe: { "~/.kube/config: \($0)" }
        case .inCluster:
            return try Self.attempt(
                fix: "give the pod its service account token (automountServiceAccountToken: true), or pass --kubeconfig PATH"
            ) {
                Found(connection: try KubeConnection.inCluster(environment: self.environment,
                                                               serviceAccountDirectory: self.serviceAccountDirectory),
                      kubeconfig: nil)
            } describe: { "in-cluster configuration: \($0)" }
        case .none:
            throw Problem(description: """
                no kubeconfig: not in a pod (KUBERNETES_SERVICE_HOST is not set), $KUBECONFIG is not set and \
                ~/.kube/config does not exist; pass --kubeconfig PATH
                """)
        }
    }

    private static func attempt(
        fix: String, _ body: () throws -> Found, describe: (String) -> String
    ) throws(Problem) -> Found {
        do {
            return try body()
        } catch let error as KubeConfigError where error == .contextNotFound {
            throw Problem(description: "\(describe("\(error)")); pass --kube-context with one of its contexts")
        } catch {
            throw Problem(description: "\(describe("\(error)")); \(fix)")
        }
    }
}
