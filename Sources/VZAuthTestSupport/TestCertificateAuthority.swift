public import Foundation
public import NIOSSL
import DevelopmentCertificates

/// A throw-away certificate authority for tests: a ``DevelopmentCertificates/DevelopmentCertificateAuthority`` whose
/// CA and leaf certificates are written as PEM files to a private temporary directory.
///
/// ```swift
/// let ca = try TestCertificateAuthority()
/// let server = try ca.makeServerCertificate()
/// let serverTLS = try server.serverTLSConfiguration()
/// let clientTLS = try ca.clientTLSConfiguration()
/// ```
public struct TestCertificateAuthority: Sendable {
    /// The directory holding every PEM file this authority writes.
    public let directory: URL
    /// The CA certificate in PEM form.
    public let certificatePEM: String
    /// The path of the CA certificate PEM file (`ca.crt`).
    public let certificateFile: URL

    private let authority: DevelopmentCertificateAuthority

    /// Creates a CA named `commonName` and writes `ca.crt` to a new temporary directory.
    public init(commonName: String = "vzauth test CA") throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("vzauth-test-ca-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.authority = try DevelopmentCertificateAuthority(commonName: commonName, organization: "vzauth tests",
                                                             validity: 3600 * 24 * 30)
        self.directory = directory
        self.certificatePEM = authority.certificatePEM
        self.certificateFile = directory.appendingPathComponent("ca.crt")
        try Data(self.certificatePEM.utf8).write(to: self.certificateFile)
    }

    /// Issues a server certificate for `dnsNames` and `ipAddresses` (defaults: `localhost`, `127.0.0.1`, `::1`)
    /// and writes `<name>.crt` / `<name>.key`.
    public func makeServerCertificate(
        name: String = "server",
        dnsNames: [String] = ["localhost"],
        ipAddresses: [String] = ["127.0.0.1", "::1"]
    ) throws -> TestCertificate {
        try write(name: name, authority.issueServerCertificate(dnsNames: dnsNames, ipAddresses: ipAddresses, validity: 3600 * 24 * 7))
    }

    /// Issues a client certificate with common name `commonName` (the Kubernetes user name) and one
    /// organization per entry of `organizations` (the Kubernetes groups), and writes `<name>.crt` / `<name>.key`.
    public func makeClientCertificate(
        name: String = "client",
        commonName: String,
        organizations: [String] = []
    ) throws -> TestCertificate {
        try write(name: name, authority.issueClientCertificate(commonName: commonName, organizations: organizations,
                                                               validity: 3600 * 24 * 7))
    }

    /// A client TLS configuration that trusts only this CA (and verifies host names).
    public func clientTLSConfiguration() throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates([try self.nioCertificate()])
        return configuration
    }

    /// The CA certificate as a NIOSSL certificate, e.g. for `trustRoots` of a server that verifies clients.
    public func nioCertificate() throws -> NIOSSLCertificate {
        try NIOSSLCertificate(bytes: Array(self.certificatePEM.utf8), format: .pem)
    }

    /// Deletes the directory with every file this authority wrote.
    public func removeFiles() {
        try? FileManager.default.removeItem(at: self.directory)
    }

    private func write(name: String, _ issued: IssuedCertificate) throws -> TestCertificate {
        let certificateFile = self.directory.appendingPathComponent("\(name).crt")
        let keyFile = self.directory.appendingPathComponent("\(name).key")
        try Data(issued.certificatePEM.utf8).write(to: certificateFile)
        try Data(issued.privateKeyPEM.utf8).write(to: keyFile)
        return TestCertificate(
            certificatePEM: issued.certificatePEM,
            privateKeyPEM: issued.privateKeyPEM,
            certificateFile: certificateFile,
            privateKeyFile: keyFile,
            authorityPEM: self.certificatePEM
        )
    }
}
