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
        if let path = environmentKubeconfig(environment) { return .environment(path: path) }
        guard let home = environment["HOME"], !home.isEmpty else { return .none }
        let path = URL(fileURLWithPath: home).appendingPathComponent(".kube/config").path
        return fileExists(path) ? .home(path: path) : .none
    }

    /// The first file of `$KUBECONFIG` (a list separated by `:`, empty entries skipped), if it names one.
    public static func environmentKubeconfig(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        environment["KUBECONFIG"]?.split(separator: ":", omittingEmptySubsequences: true).first.map(String.init)
    }
}
