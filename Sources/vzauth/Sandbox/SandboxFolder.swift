import DevelopmentCertificates
import X509
import Foundation

/// The sandbox's folder (`./vzauth-sandbox` by default): what it keeps between starts (CA, keys, passwords, ports)
/// and what it writes for users (kubeconfigs, the components' config files, `sandbox.json`). A second start reuses
/// it: same CA, same passwords, same ports when they are free, so kubeconfigs made before keep working.
struct SandboxFolder: Sendable {
    /// The folder.
    let url: URL

    /// Creates the folder (mode 0700: it holds passwords and keys) if it does not exist.
    init(path: String) throws {
        url = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }

    /// The absolute path of `name` in the folder.
    func path(_ name: String) -> String {
        url.appendingPathComponent(name).path
    }

    /// Whether `name` exists in the folder.
    func exists(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: path(name))
    }

    /// Writes `text` to `name`, atomically, with `mode` (0600 by default: most files hold a secret).
    @discardableResult
    func write(_ text: String, to name: String, mode: Int = 0o600) throws -> String {
        let target = path(name)
        let directory = (target as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        try Data(text.utf8).write(to: URL(fileURLWithPath: target), options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: target)
        return target
    }

    /// The text of `name`, or `nil` when it does not exist or cannot be read.
    func read(_ name: String) -> String? {
        try? String(contentsOfFile: path(name), encoding: .utf8)
    }

    /// The sandbox's CA (`ca.crt`, `ca.key`): the one saved before, else a new one.
    func certificateAuthority() throws -> DevelopmentCertificateAuthority {
        if let certificate = read("ca.crt"), let key = read("ca.key"),
           let saved = try? DevelopmentCertificateAuthority(certificatePEM: certificate, privateKeyPEM: key),
           saved.certificate.notValidAfter > Date().addingTimeInterval(30 * 24 * 3600) {
            return saved
        }
        let authority = try DevelopmentCertificateAuthority(commonName: "vzauth sandbox CA")
        try write(authority.certificatePEM, to: "ca.crt", mode: 0o644)
        try write(authority.privateKeyPEM, to: "ca.key")
        // Certificates of an older CA are of no use now.
        try? FileManager.default.removeItem(atPath: path("tls/server.crt"))
        return authority
    }

    /// The certificate the sandbox's https listeners serve (`tls/server.crt`, `tls/server.key`, for `localhost` and
    /// `127.0.0.1`), signed by `authority`: the one saved before while it has a week left, else a new one.
    func serverCertificate(signedBy authority: DevelopmentCertificateAuthority) throws -> (certificate: String, key: String) {
        if let pem = read("tls/server.crt"), exists("tls/server.key"),
           let certificate = try? DevelopmentCertificateAuthority.certificate(pem: pem),
           certificate.issuer == authority.certificate.subject,
           certificate.notValidAfter > Date().addingTimeInterval(7 * 24 * 3600) {
            return (path("tls/server.crt"), path("tls/server.key"))
        }
        let issued = try authority.issueServerCertificate()
        return (try write(issued.certificatePEM, to: "tls/server.crt", mode: 0o644),
                try write(issued.privateKeyPEM, to: "tls/server.key"))
    }

    /// A file of `count` random bytes (`name`): the one saved before, else a new one. For the cookie secret.
    func randomSecret(_ name: String, count: Int = 32) throws -> String {
        if let data = FileManager.default.contents(atPath: path(name)), data.count >= count {
            return path(name)
        }
        var bytes = [UInt8](repeating: 0, count: count)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = generator.next() }
        let target = path(name)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try Data(bytes).write(to: URL(fileURLWithPath: target), options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: target)
        return target
    }
}
