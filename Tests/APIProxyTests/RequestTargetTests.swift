import ProxyCore
import Testing
@testable import APIProxy

@Suite("Request targets and header names")
struct RequestTargetTests {
    @Test("the version prefix is removed, other paths pass unchanged", arguments: [
        ("/20210501/api/v1/pods", "/api/v1/pods"),
        ("/20210501/apis/apps/v1/deployments?watch=true", "/apis/apps/v1/deployments?watch=true"),
        ("/20210501", "/"),
        ("/20210501?x=1", "/?x=1"),
        ("/api/v1/namespaces", "/api/v1/namespaces"),
        ("/version", "/version"),
        ("/20210501abc/api", "/20210501abc/api"),
        ("/openapi/v3/apis/apps/v1?hash=abc", "/openapi/v3/apis/apps/v1?hash=abc"),
        ("/api/v1/namespaces/a/configmaps?labelSelector=x%2Fy%3D..", "/api/v1/namespaces/a/configmaps?labelSelector=x%2Fy%3D.."),
    ])
    func rewrite(_ input: String, _ expected: String) throws {
        #expect(try RequestTarget.rewrite(input, removingPrefix: "/20210501") == expected)
    }

    @Test("odd request targets are refused", arguments: [
        "http://evil/api", "*", "api/v1", "/20210501/../api", "/api/v1/namespaces/../../secrets", "/api/%2e%2e/x",
        "/api/%2E./x", "/./api",
    ])
    func refused(_ input: String) {
        #expect(throws: RequestTarget.Problem.self) { try RequestTarget.rewrite(input, removingPrefix: "/20210501") }
    }

    @Test("bearer tokens are found case-insensitively and nothing else is", arguments: [
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("bearer abc", "abc"),
        ("BEARER   abc  ", "abc"),
        ("Basic dXNlcjpwYXNz", nil),
        ("Bearer", nil),
        ("Bearer ", nil),
        ("Bearer a b", nil),
        ("Bearerabc", nil),
        ("Token abc", nil),
    ] as [(String, String?)])
    func bearer(_ header: String, _ expected: String?) {
        #expect(AuthorizationCredential(headerValue: header).bearerToken == expected)
    }

    @Test("header name helpers ignore ASCII case")
    func headerNames() {
        #expect(HeaderNames.hasPrefix("Impersonate-User", lowercasePrefix: "impersonate-"))
        #expect(HeaderNames.hasPrefix("IMPERSONATE-EXTRA-scopes", lowercasePrefix: "impersonate-"))
        #expect(!HeaderNames.hasPrefix("Impersonate", lowercasePrefix: "impersonate-"))
        #expect(HeaderNames.equals("AUTHORIZATION", lowercase: "authorization"))
        #expect(!HeaderNames.equals("Authorization2", lowercase: "authorization"))
    }
}
