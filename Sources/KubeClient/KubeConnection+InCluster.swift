public import Foundation
import NIOSSL
import FileSupport

extension KubeConnection {
    /// The default directory of the service-account token, CA and namespace inside a pod.
    public static let defaultServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// The connection to the cluster's own API server from inside a pod.
    ///
    /// Reads `KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT` (an IPv6 host is bracketed in the URL),
    /// trusts `ca.crt`, authenticates with `token` (re-read as it rotates) and takes the default namespace
    /// from `namespace`, all in `serviceAccountDirectory`.
    ///
    /// - Parameters:
    ///   - environment: The process environment; defaults to the real one.
    ///   - serviceAccountDirectory: Where the service-account files are mounted.
    /// - Throws: ``KubeConfigError/notInCluster`` without the environment variables, or an error naming the
    ///   unreadable or invalid file.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        serviceAccountDirectory: String = KubeConnection.defaultServiceAccountDirectory
    ) throws -> KubeConnection {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty else {
            throw KubeConfigError.notInCluster(reason: "KUBERNETES_SERVICE_HOST is not set")
        }
        guard let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw KubeConfigError.notInCluster(reason: "KUBERNETES_SERVICE_PORT is not set")
        }
        guard let portNumber = Int(port), (1...65535).contains(portNumber) else {
            throw KubeConfigError.invalidValue(nil, field: "KUBERNETES_SERVICE_PORT", reason: "\"\(port)\" is not a port")
        }
        let directory = URL(fileURLWithPath: serviceAccountDirectory)
        let caPath = directory.appendingPathComponent("ca.crt").path
        let caBytes: [UInt8]
        do {
            caBytes = Array(try Data(contentsOf: URL(fileURLWithPath: caPath)))
        } catch {
            throw KubeConfigError.unreadableFile(caPath, reason: FileErrorReason.of(error))
        }
        var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
        do {
            let certificates = try NIOSSLCertificate.fromPEMBytes(caBytes)
            guard !certificates.isEmpty else { throw KubeConfigError.invalidValue }
            tlsConfiguration.trustRoots = .certificates(certificates)
        } catch {
            throw KubeConfigError.invalidValue(caPath, field: "ca.crt", reason: "not a PEM certificate bundle")
        }
        let tokenFile = try KubeTokenFile(path: directory.appendingPathComponent("token").path)
        let namespacePath = directory.appendingPathComponent("namespace").path
        let namespace = (try? String(contentsOfFile: namespacePath, encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return try KubeConnection(
            serverURL: "https://\(hostPart):\(portNumber)",
            tlsConfiguration: tlsConfiguration,
            credential: .tokenFile(tokenFile),
            namespace: namespace.flatMap { $0.isEmpty ? nil : $0 }
        )
    }
}
