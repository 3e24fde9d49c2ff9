import ArgumentParser
import Foundation
import Testing
import VZAuthTestSupport
import Yams
@testable import vzauth

@Suite("vzauth kubeconfig")
struct KubeconfigCommandTests {
    @Test("the user's exec runs vzauth login with the login options, files made absolute, defaults left out")
    func execArguments() throws {
        let authority = try TestCertificateAuthority()
        let command = try KubeconfigCommand.parse([
            "--server", "https://api-proxy.example.com:8443", "--certificate-authority", authority.certificateFile.path,
            "--cluster", "vz", "--user", "alice@vz", "--namespace", "hello",
            "--issuer", "https://kc.example.com/auth/realms/verrazzano-system", "--client-id", "verrazzano-pg",
            "--grant", "password", "--username", "alice", "--password-file", "secrets/alice.password",
            "--ca-file", "~/kc-ca.pem", "--scope", "openid", "--scope", "groups", "--token-type", "id",
        ])
        let document = try command.makeDocument()
        let exec = document.users[0].user.exec
        #expect(exec.apiVersion == "client.authentication.k8s.io/v1")
        #expect(exec.interactiveMode == "IfAvailable" && exec.provideClusterInfo == false)
        #expect(exec.command.hasPrefix("/"))
        let cwd = FileManager.default.currentDirectoryPath
        #expect(exec.args == [
            "login", "--issuer", "https://kc.example.com/auth/realms/verrazzano-system", "--client-id", "verrazzano-pg",
            "--grant", "password", "--username", "alice", "--password-file", cwd + "/secrets/alice.password",
            "--ca-file", NSHomeDirectory() + "/kc-ca.pem", "--scope", "openid", "--scope", "groups", "--token-type", "id",
        ])
        #expect(document.users[0].name == "alice@vz")
        #expect(document.contexts[0].context.user == "alice@vz" && document.contexts[0].context.namespace == "hello")
        #expect(document.clusters[0].cluster.certificateAuthorityData.flatMap { Data(base64Encoded: $0) }
            .map { String(decoding: $0, as: UTF8.self) } == authority.certificatePEM)
        let yaml = try document.yaml()
        let node = try #require(try Yams.compose(yaml: yaml))
        #expect(node["users"]?[0]?["user"]?["exec"]?["args"]?.sequence?.count == exec.args.count)
    }

    @Test("--command replaces the binary's path; arguments that YAML would read as numbers stay strings")
    func command() throws {
        let command = try KubeconfigCommand.parse([
            "--server", "https://api-proxy.example.com", "--issuer", "https://kc.example.com/realms/x", "--command", "vzauth",
            "--listen-port", "8000", "--no-browser",
        ])
        let yaml = try command.makeDocument().yaml()
        #expect(yaml.contains("command: vzauth"))
        #expect(yaml.contains("- '8000'"), "\(yaml)")
        #expect(yaml.contains("- --no-browser"))
    }

    @Test("servers that are not https, a missing CA file and a bad issuer are refused with what to do", arguments: [
        ["--server", "http://api-proxy.example.com", "--issuer", "https://kc.example.com/realms/x"],
        ["--server", "https://api-proxy.example.com/?x=1", "--issuer", "https://kc.example.com/realms/x"],
        ["--server", "https://api-proxy.example.com", "--issuer", "https://kc.example.com/realms/x", "--certificate-authority", "/nonexistent.pem"],
    ])
    func refused(arguments: [String]) throws {
        let command = try KubeconfigCommand.parse(arguments)
        #expect(throws: ValidationError.self) { try command.makeDocument() }
    }

    @Test("an issuer that is not an http(s) URL is refused when parsing")
    func badIssuer() {
        #expect(throws: (any Error).self) {
            try KubeconfigCommand.parse(["--server", "https://api-proxy.example.com", "--issuer", "kc.example.com"])
        }
    }
}
