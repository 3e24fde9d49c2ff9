public import Foundation

extension KubeConnection {
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

    /// The connection a server process uses when it was given no kubeconfig, in kubectl's order: in a pod (with
    /// `KUBERNETES_SERVICE_HOST` set) the in-cluster configuration; outside one ``defaultKubeconfigPath(environment:fileExists:)``
    /// with `context`; without either, the in-cluster configuration's error.
    ///
    /// - Returns: the connection, and the kubeconfig it was read from (`nil`: in-cluster).
    public static func `default`(
        context: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }
    ) throws -> (connection: KubeConnection, kubeconfig: String?) {
        let inPod = !(environment["KUBERNETES_SERVICE_HOST"] ?? "").isEmpty
        if !inPod, let path = defaultKubeconfigPath(environment: environment, fileExists: fileExists) {
            return (try fromKubeconfig(path: path, context: context), path)
        }
        return (try inCluster(environment: environment), nil)
    }
}
