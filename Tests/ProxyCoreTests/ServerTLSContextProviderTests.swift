@testable import ServiceSupport
import Foundation
import Testing
import VZAuthTestSupport
@testable import ProxyCore

@Suite("Serving certificate reload")
struct ServerTLSContextProviderTests {
    @Test("a changed certificate is picked up; a broken one keeps the previous context")
    func reload() throws {
        let authority = try TestCertificateAuthority()
        let first = try authority.makeServerCertificate(name: "first")
        let directory = authority.directory
        let certificate = directory.appendingPathComponent("serving.crt")
        let key = directory.appendingPathComponent("serving.key")
        try first.certificatePEM.write(to: certificate, atomically: true, encoding: .utf8)
        try first.privateKeyPEM.write(to: key, atomically: true, encoding: .utf8)
        let provider = try ServerTLSContextProvider(files: TLSFiles(certificateChainPath: certificate.path, privateKeyPath: key.path))
        let original = provider.current
        #expect(try provider.reloadIfChanged() == false)

        let second = try authority.makeServerCertificate(name: "second", dnsNames: ["proxy.example.com"])
        try second.certificatePEM.write(to: certificate, atomically: true, encoding: .utf8)
        try second.privateKeyPEM.write(to: key, atomically: true, encoding: .utf8)
        #expect(try provider.reloadIfChanged())
        #expect(provider.current !== original)

        let installed = provider.current
        try "not a certificate".write(to: certificate, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try provider.reloadIfChanged() }
        #expect(provider.current === installed, "a broken file keeps the previous context")
    }
}
