import ProxyCore
import Testing

@Suite("Authorization header credentials")
struct AuthorizationCredentialTests {
    @Test("schemes are case-insensitive and blanks around and between are SP or HTAB only", arguments: [
        ("Bearer abc.def", AuthorizationCredential.bearer("abc.def")),
        ("bEaReR \t abc ", .bearer("abc")),
        ("\tBearer abc", .bearer("abc")),
        ("Basic dTpw", .basic("dTpw")),
        ("basic   dTpw  ", .basic("dTpw")),
        ("Negotiate xyz", .unsupported(scheme: "negotiate")),
    ])
    func accepted(value: String, expected: AuthorizationCredential) {
        #expect(AuthorizationCredential(headerValue: value) == expected)
    }

    @Test("what is not one scheme and one credential is malformed", arguments: [
        ("", AuthorizationCredential.malformed(scheme: nil)),
        ("   ", .malformed(scheme: nil)),
        ("Bearer", .malformed(scheme: "bearer")),
        ("Bearer   ", .malformed(scheme: "bearer")),
        ("Bearer a b", .malformed(scheme: "bearer")),
        ("Bearer a\tb", .malformed(scheme: "bearer")),
        ("Bearer a,b", .malformed(scheme: "bearer")),
        ("Bearer\u{00A0}abc", .malformed(scheme: "bearer\u{00A0}abc")),
        ("Basic", .malformed(scheme: "basic")),
    ])
    func malformed(value: String, expected: AuthorizationCredential) {
        #expect(AuthorizationCredential(headerValue: value) == expected)
        #expect(AuthorizationCredential(headerValue: value).bearerToken == nil)
    }

    @Test("the token read in place is the token read as a string", arguments: [
        "Bearer abc.def", "bEaReR \t abc ", "\tBearer abc", "Basic dTpw", "Negotiate xyz", "", "Bearer", "Bearer a b",
        "Bearer a,b", "Bearer\u{00A0}abc", "Bearer Zoë",
    ])
    func inPlace(value: String) {
        var value = value
        let inPlace = value.withUTF8 { bytes in
            AuthorizationCredential.bearerToken(in: UnsafeRawBufferPointer(bytes)).map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(inPlace == AuthorizationCredential(headerValue: value).bearerToken)
    }
}
