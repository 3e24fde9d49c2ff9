public import Foundation
public import NIOSSL
import Crypto
import SwiftASN1
import X509
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A throw-away certificate authority for tests: a self-signed CA plus leaf certificates it signs,
/// all written as PEM files to a private temporary directory.
///
/// The certificates satisfy strict clients such as Go's `crypto/tls` (used by `kubectl`): the CA carries
/// `basicConstraints CA:TRUE` and `keyCertSign`; server certificates carry SAN `DNS:localhost` and
/// `IP:127.0.0.1`, `digitalSignature` and `extendedKeyUsage serverAuth`.
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

    private let certificate: Certificate
    private let privateKey: P256.Signing.PrivateKey

    /// Creates a CA named `commonName` and writes `ca.crt` to a new temporary directory.
    public init(commonName: String = "vzauth test CA") throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("vzauth-test-ca-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            CommonName(commonName)
            OrganizationName("vzauth tests")
        }
        let publicKey = Certificate.PublicKey(key.publicKey)
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(hash: publicKey)
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(3600 * 24 * 30),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions,
            issuerPrivateKey: .init(key)
        )
        self.directory = directory
        self.certificate = certificate
        self.privateKey = key
        self.certificatePEM = try certificate.serializeAsPEM().pemString
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
        var sans: [GeneralName] = dnsNames.map { .dnsName($0) }
        for address in ipAddresses {
            sans.append(.ipAddress(ASN1OctetString(contentBytes: try Self.ipBytes(address)[...])))
        }
        return try self.issue(
            name: name,
            subject: try DistinguishedName { CommonName(dnsNames.first ?? name) },
            extendedKeyUsage: [.serverAuth, .clientAuth],
            subjectAlternativeNames: sans
        )
    }

    /// Issues a client certificate with common name `commonName` (the Kubernetes user name) and one
    /// organization per entry of `organizations` (the Kubernetes groups), and writes `<name>.crt` / `<name>.key`.
    public func makeClientCertificate(
        name: String = "client",
        commonName: String,
        organizations: [String] = []
    ) throws -> TestCertificate {
        let subject = try DistinguishedName {
            for organization in organizations {
                OrganizationName(organization)
            }
            CommonName(commonName)
        }
        return try self.issue(name: name, subject: subject, extendedKeyUsage: [.clientAuth], subjectAlternativeNames: [])
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

    private func issue(
        name: String,
        subject: DistinguishedName,
        extendedKeyUsage: [ExtendedKeyUsage.Usage],
        subjectAlternativeNames: [GeneralName]
    ) throws -> TestCertificate {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let issuerKeyIdentifier = SubjectKeyIdentifier(hash: self.certificate.publicKey).keyIdentifier
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
            try ExtendedKeyUsage(extendedKeyUsage)
            SubjectKeyIdentifier(hash: publicKey)
            AuthorityKeyIdentifier(keyIdentifier: issuerKeyIdentifier)
            if !subjectAlternativeNames.isEmpty {
                SubjectAlternativeNames(subjectAlternativeNames)
            }
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(3600 * 24 * 7),
            issuer: self.certificate.subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions,
            issuerPrivateKey: .init(self.privateKey)
        )
        let certificatePEM = try certificate.serializeAsPEM().pemString
        let keyPEM = key.pemRepresentation
        let certificateFile = self.directory.appendingPathComponent("\(name).crt")
        let keyFile = self.directory.appendingPathComponent("\(name).key")
        try Data(certificatePEM.utf8).write(to: certificateFile)
        try Data(keyPEM.utf8).write(to: keyFile)
        return TestCertificate(
            certificatePEM: certificatePEM,
            privateKeyPEM: keyPEM,
            certificateFile: certificateFile,
            privateKeyFile: keyFile,
            authorityPEM: self.certificatePEM
        )
    }

    private static func ipBytes(_ address: String) throws -> [UInt8] {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        throw TestCertificateError(message: "not an IP address: \(address)")
    }
}
