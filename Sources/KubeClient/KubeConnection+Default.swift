public import Foundation

extension KubeConnection {
    /// Where a connection comes from when no kubeconfig is named, in kubectl's order.
    public enum DefaultSource: Sendable, Hashable {
        /// In a pod (`KUBERNETES_SERVICE_HOST` is set): the service account.
        case inCluster
        /// The first file of `$KUBECONFIG`.
        case environment(path: String)
        /// `~/.kube/config`, which exists.
        case home(path: String)
        /// Not in a pod, no `$KUBECONFIG`, no `~/.kube/config`.
        case none

        /// The kubeconfig this source reads, if any.
        public var kubeconfig: String? {
            switch self {
            case .environment(let path), .home(let path): path
            case .inCluster, .none: nil
            }
        }
    }

    /// Where a connection comes from when no kubeconfig is named, as kubectl decides: in a pod the in-cluster
    /// configuration, else the first file of `$KUBECONFIG` (a list separated by `:`), else `~/.kube/config` when it
    /// exists.
    ///
    /// - Parameters:
    ///   - environment: The process environment; defaults to the real one.
    ///   - fileExists: Whether a file exists; defaults to the file system's answer.
    public static func defaultSource(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }
    ) -> DefaultSource {
        if !(environment["KUBERNETES_SERVICE_HOST"] ?? "").isEmpty { return .inCluster }
        if let list = environment["KUBECONFIG"],
           let first = list.split(separator: ":", omittingEmptySubsequences: true).first {
            return .environment(path: String(first))
        }
        return defaultKubeconfigPath(environment: environment, fileExists: fileExists).map { .home(path: $0) } ?? .none
    }

    /// Where a kubeconfig is looked for when none is named, as kubectl does: the first file of `$KUBECONFIG`
    /// (a list separated by `:`), else `~/.kube/config` when it exists; `nil` when neither is there.
    ///
    /// - Parameters:
    ///   - environment: The process environment; defaults to the real one.
    ///   - fileExists: Whether a file exists; defaults to the file system's answer.
    public static func defaultKubeconfigPath(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }
    ) -> String? {
        if let list = environment["KUBECONFIG"],
           let first = list.split(separator: ":", omittingEmptySubsequences: true).first {
            return String(first)
        }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        let path = URL(fileURLWithPath: home).appendingPathComponent(".kube/config").path
        return fileExists(path) ? path : nil
    }

    /// The connection a server process uses when it was given no kubeconfig, from ``defaultSource(environment:fileExists:)``
    /// with `context`; without any source, the in-cluster configuration's error.
    ///
    /// - Returns: the connection, and the kubeconfig it was read from (`nil`: in-cluster).
    public static func `default`(
        context: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }
    ) throws -> (connection: KubeConnection, kubeconfig: String?) {
        let source = defaultSource(environment: environment, fileExists: fileExists)
        if let path = source.kubeconfig {
            return (try fromKubeconfig(path: path, context: context), path)
        }
        return (try inCluster(environment: environment), nil)
    }
}
