public import Foundation
public import NIOSSL

/// A leaf certificate issued by a ``TestCertificateAuthority``, with its key, as PEM text and files.
public struct TestCertificate: Sendable {
    /// The certificate in PEM form.
    public let certificatePEM: String
    /// The private key (PKCS#8 EC key) in PEM form.
    public let privateKeyPEM: String
    /// The path of the certificate PEM file.
    public let certificateFile: URL
    /// The path of the private key PEM file.
    public let privateKeyFile: URL
    /// The PEM of the issuing CA.
    public let authorityPEM: String

    /// A TLS server configuration presenting this certificate.
    ///
    /// - Parameter verifyClientsWithAuthority: When `true`, clients must present a certificate signed by
    ///   the issuing CA (mutual TLS); otherwise client certificates are not requested.
    public func serverTLSConfiguration(verifyClientsWithAuthority: Bool = false) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(self.certificatePEM.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(self.privateKeyPEM.utf8), format: .pem))
        )
        if verifyClientsWithAuthority {
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates([
                try NIOSSLCertificate(bytes: Array(self.authorityPEM.utf8), format: .pem)
            ])
        }
        return configuration
    }

    /// A TLS client configuration presenting this certificate and trusting the issuing CA.
    public func clientTLSConfiguration() throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates([
            try NIOSSLCertificate(bytes: Array(self.authorityPEM.utf8), format: .pem)
        ])
        configuration.certificateChain = [
            .certificate(try NIOSSLCertificate(bytes: Array(self.certificatePEM.utf8), format: .pem))
        ]
        configuration.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(self.privateKeyPEM.utf8), format: .pem))
        return configuration
    }
}

/// An error making test certificates.
public struct TestCertificateError: Error, CustomStringConvertible {
    /// What went wrong.
    public let message: String
    /// The message.
    public var description: String { self.message }
}
