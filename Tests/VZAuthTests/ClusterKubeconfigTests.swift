import ArgumentParser
import Foundation
import Testing
import VZAuthTestSupport
@testable import vzauth

@Suite("vzauth cluster kubeconfig")
struct ClusterKubeconfigTests {
    @Test("kubectl reads what it prints: the cluster through the admin proxy, the CA embedded, the context")
    func readByKubectl() async throws {
        let authority = try TestCertificateAuthority()
        let command = try ClusterKubeconfigCommand.parse([
            "managed1", "--server", "https://admin-proxy.example.com:8443/", "--certificate-authority",
            authority.certificateFile.path, "--user", "alice", "--namespace", "app",
        ])
        let path = authority.directory.appendingPathComponent("managed1.yaml").path
        try command.render().write(toFile: path, atomically: true, encoding: .utf8)
        let view = try await run("/usr/bin/kubectl", ["config", "view", "--kubeconfig", path, "--raw", "-o",
                                             "jsonpath={.clusters[0].cluster.server} {.contexts[0].context.user} {.contexts[0].context.namespace} {.current-context}"])
        #expect(view.status == 0, "\(view.stderr)")
        #expect(view.stdout == "https://admin-proxy.example.com:8443/clusters/managed1 alice app managed1")
        let data = try await run("/usr/bin/kubectl", ["config", "view", "--kubeconfig", path, "--raw", "-o",
                                             "jsonpath={.clusters[0].cluster.certificate-authority-data}"])
        #expect(Data(base64Encoded: data.stdout).map { String(decoding: $0, as: UTF8.self) } == authority.certificatePEM)
    }

    @Test("names that are not cluster names and servers that are not https are refused with what to do", arguments: [
        ["Managed1", "--server", "https://admin-proxy.example.com"],
        ["managed1", "--server", "http://admin-proxy.example.com"],
        ["managed1", "--server", "https://admin-proxy.example.com/?x=1"],
        ["managed1", "--server", "https://admin-proxy.example.com", "--certificate-authority", "/nonexistent.pem"],
    ])
    func refused(arguments: [String]) throws {
        let command = try ClusterKubeconfigCommand.parse(arguments)
        #expect(throws: ValidationError.self) { try command.render() }
    }
}
