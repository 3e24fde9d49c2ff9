import Crypto
public import Foundation
import SwiftASN1
public import X509
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small certificate authority for development and tests (`vzauth sandbox`, the test suites): a self-signed
/// ECDSA P-256 CA and the leaf certificates it signs, as PEM text. Not for production: its key is a file on disk.
///
/// The certificates satisfy strict clients such as Go's `crypto/tls` (kubectl): the CA carries
/// `basicConstraints CA:TRUE` and `keyCertSign`; server certificates carry their SANs (by default `DNS:localhost`,
/// `IP:127.0.0.1`, `IP:::1`), `digitalSignature` and `extendedKeyUsage serverAuth`.
///
/// ```swift
/// let authority = try DevelopmentCertificateAuthority(commonName: "vzauth sandbox CA")
/// let server = try authority.issueServerCertificate()
/// // later, from the files it was saved to:
/// let same = try DevelopmentCertificateAuthority(certificatePEM: caPEM, privateKeyPEM: keyPEM)
/// ```
public struct DevelopmentCertificateAuthority: Sendable {
    /// The CA certificate.
    public let certificate: Certificate
    /// The CA certificate in PEM form.
    public let certificatePEM: String
    private let privateKey: P256.Signing.PrivateKey

    /// The CA's private key in PEM form (to save it beside the certificate).
    public var privateKeyPEM: String { privateKey.pemRepresentation }

    /// Creates a new CA named `commonName`, valid from an hour ago for `validity` seconds (default a year).
    public init(commonName: String, organization: String = "vzauth development", validity: TimeInterval = 365 * 24 * 3600) throws {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            CommonName(commonName)
            OrganizationName(organization)
        }
        let publicKey = Certificate.PublicKey(key.publicKey)
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(hash: publicKey)
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(validity),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: .init(key))
        self.certificate = certificate
        self.certificatePEM = try certificate.serializeAsPEM().pemString
        self.privateKey = key
    }

    /// The CA saved earlier.
    ///
    /// - Throws: when either PEM cannot be read, or the key is not the certificate's.
    public init(certificatePEM: String, privateKeyPEM: String) throws {
        let certificate = try Certificate(pemEncoded: certificatePEM)
        let key = try P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
            throw DevelopmentCertificateError(message: "the CA key does not belong to the CA certificate")
        }
        self.certificate = certificate
        self.certificatePEM = certificatePEM
        self.privateKey = key
    }

    /// Issues a server certificate for `dnsNames` and `ipAddresses`, valid for `validity` seconds (default 90 days).
    public func issueServerCertificate(
        dnsNames: [String] = ["localhost"], ipAddresses: [String] = ["127.0.0.1", "::1"], validity: TimeInterval = 90 * 24 * 3600
    ) throws -> IssuedCertificate {
        var names: [GeneralName] = dnsNames.map { .dnsName($0) }
        for address in ipAddresses {
            names.append(.ipAddress(ASN1OctetString(contentBytes: try Self.ipBytes(address)[...])))
        }
        return try issue(subject: try DistinguishedName { CommonName(dnsNames.first ?? ipAddresses.first ?? "server") },
                         extendedKeyUsage: [.serverAuth, .clientAuth], subjectAlternativeNames: names, validity: validity)
    }

    /// Issues a client certificate whose common name is `commonName` (a Kubernetes user name) with one
    /// organization per entry of `organizations` (its groups).
    public func issueClientCertificate(commonName: String, organizations: [String] = [],
                                       validity: TimeInterval = 90 * 24 * 3600) throws -> IssuedCertificate {
        let subject = try DistinguishedName {
            for organization in organizations { OrganizationName(organization) }
            CommonName(commonName)
        }
        return try issue(subject: subject, extendedKeyUsage: [.clientAuth], subjectAlternativeNames: [], validity: validity)
    }

    private func issue(subject: DistinguishedName, extendedKeyUsage: [ExtendedKeyUsage.Usage],
                       subjectAlternativeNames: [GeneralName], validity: TimeInterval) throws -> IssuedCertificate {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let issuerKeyIdentifier = SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier
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
        let issued = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(validity),
            issuer: certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: .init(privateKey))
        return IssuedCertificate(certificate: issued, certificatePEM: try issued.serializeAsPEM().pemString,
                                 privateKeyPEM: key.pemRepresentation)
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
        throw DevelopmentCertificateError(message: "not an IP address: \(address)")
    }
}

/// A certificate a ``DevelopmentCertificateAuthority`` issued, with its private key.
public struct IssuedCertificate: Sendable {
    /// The certificate.
    public let certificate: Certificate
    /// The certificate in PEM form.
    public let certificatePEM: String
    /// Its private key in PEM form.
    public let privateKeyPEM: String
}

/// Why a development certificate could not be made or read.
public struct DevelopmentCertificateError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public let message: String
    /// The message.
    public var description: String { message }
}

extension DevelopmentCertificateAuthority {
    /// A certificate read from PEM.
    public static func certificate(pem: String) throws -> Certificate {
        try Certificate(pemEncoded: pem)
    }
}
