import Foundation
import KubeLogin
import Testing

@Suite("ExecCredential and KUBERNETES_EXEC_INFO")
struct ExecCredentialTests {
    @Test("the JSON is what kubectl reads: client.authentication.k8s.io/v1, status.token, RFC 3339 expiry in UTC")
    func json() {
        let credential = ExecCredential(token: "eyJ.a.b", expirationTimestamp: Date(timeIntervalSince1970: 1_767_323_045.7), interactive: true)
        #expect(credential.jsonText() == #"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":true},"status":{"expirationTimestamp":"2026-01-02T03:04:05Z","token":"eyJ.a.b"}}"#)
        #expect(!credential.description.contains("eyJ"))
    }

    @Test("without an expiry, status has only the token")
    func noExpiry() {
        let credential = ExecCredential(token: "t", expirationTimestamp: nil)
        #expect(credential.jsonText() == #"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false},"status":{"token":"t"}}"#)
    }

    @Test("KUBERNETES_EXEC_INFO's spec.interactive decides prompting; without it, whether stdin is a terminal")
    func execInfo() {
        let interactive = #"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":true}}"#
        let batch = #"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}"#
        #expect(KubernetesExecInfo(environment: ["KUBERNETES_EXEC_INFO": interactive])?.interactive == true)
        #expect(KubernetesExecInfo.allowsPrompting(environment: ["KUBERNETES_EXEC_INFO": batch], stdinIsTerminal: true) == false)
        #expect(KubernetesExecInfo.allowsPrompting(environment: ["KUBERNETES_EXEC_INFO": interactive], stdinIsTerminal: false) == true)
        #expect(KubernetesExecInfo.allowsPrompting(environment: [:], stdinIsTerminal: true) == true)
        #expect(KubernetesExecInfo.allowsPrompting(environment: [:], stdinIsTerminal: false) == false)
        #expect(KubernetesExecInfo(environment: ["KUBERNETES_EXEC_INFO": "not json"]) == nil)
        #expect(KubernetesExecInfo(environment: ["KUBERNETES_EXEC_INFO": #"{"kind":"Pod","apiVersion":"v1"}"#]) == nil)
    }
}
