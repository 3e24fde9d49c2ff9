import Foundation
@testable import OIDC
import Testing
import VZAuthTestSupport

@Suite("Strict base64url and JSON")
struct JOSEParsingTests {
    @Test("base64url round-trips every length")
    func base64RoundTrip() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 251) }
            let encoded = Base64URL.encode(bytes)
            #expect(encoded == TokenBase64URL.encode(bytes))
            #expect(Base64URL.decode(encoded.utf8) == bytes)
        }
    }

    @Test("base64url refuses padding, foreign characters, impossible lengths and non-canonical bits",
          arguments: ["e30=", "e3 0", "e3+0", "e3/0", "A", "AAAAA", "e31", "ZZ", "\u{e9}A"])
    func base64Refusals(_ input: String) {
        #expect(Base64URL.decode(input.utf8) == nil)
    }

    @Test("JSON values parse", arguments: [
        ("{}", StrictJSONValue.object([:])),
        ("[1, -2.5e3, true, false, null]", .array([.number(1), .number(-2500), .bool(true), .bool(false), .null])),
        (#" {"a" : {"b" : ["c"]}} "#, .object(["a": .object(["b": .array([.string("c")])])])),
        (#""\u00e9\ud83d\ude00\n\"\\\/""#, .string("é😀\n\"\\/")),
        (#""a\u0000b""#, .string("a\u{0}b")),
    ])
    func parses(_ text: String, _ expected: StrictJSONValue) {
        #expect(StrictJSONValue(parsing: Array(text.utf8)) == expected)
    }

    @Test("JSON garbage is refused", arguments: [
        "", " ", "{", "{\"a\":1,}", "[1,]", "{\"a\":1}{", "{\"a\":1} x", "{\"a\":1,\"a\":2}", "{a:1}", "'a'",
        "01", "1.", ".5", "-", "1e", "NaN", "Infinity", "1e999", "tru", "nul", "\"\u{1}\"", "\"\\x\"", "\"\\ud800\"",
        "\"\\udc00\"", "\"abc", "[\"a\"", "{\"a\" 1}",
    ])
    func refuses(_ text: String) {
        #expect(StrictJSONValue(parsing: Array(text.utf8)) == nil)
    }

    @Test("invalid UTF-8 in a string is refused")
    func invalidUTF8() {
        #expect(StrictJSONValue(parsing: [0x22, 0xC3, 0x28, 0x22]) == nil)
        #expect(StrictJSONValue(parsing: [0x22, 0xED, 0xA0, 0x80, 0x22]) == nil)  // encoded surrogate
    }

    @Test("nesting deeper than the limit is refused")
    func depth() {
        let shallow = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        #expect(StrictJSONValue(parsing: Array(shallow.utf8)) != nil)
        #expect(StrictJSONValue(parsing: Array(deep.utf8)) == nil)
    }
}

@Suite("JSON Web Key Sets")
struct JSONWebKeySetTests {
    @Test("every supported key type parses, keyed by kid")
    func supported() throws {
        let set = try JSONWebKeySet(jsonBytes: Array(TestKeys.jwks(TestKeys.all).utf8))
        #expect(set.keys.count == 6)
        #expect(set[keyID: "rsa-1"]?.keyType == .rsa)
        #expect(set[keyID: "ec-256"]?.keyType == .p256)
        #expect(set[keyID: "ec-384"]?.keyType == .p384)
        #expect(set[keyID: "ec-521"]?.keyType == .p521)
        #expect(set[keyID: "ed-1"]?.keyType == .ed25519)
    }

    @Test("unusable keys are skipped, the rest of the set survives")
    func skipped() throws {
        var encryption = TestKeys.rsa2.publicJWK()
        encryption["use"] = "enc"
        var badAlg = TestKeys.p256.withKeyID("bad-alg").publicJWK(algorithm: "RSA-OAEP")
        badAlg["use"] = nil
        var mismatchedAlg = TestKeys.p256.withKeyID("es384-on-p256").publicJWK(algorithm: "ES384")
        mismatchedAlg["use"] = "sig"
        var shortCoordinate = TestKeys.p256.withKeyID("short").publicJWK()
        shortCoordinate["x"] = .string(TokenBase64URL.encode([UInt8](repeating: 1, count: 31)))
        let offCurve: [String: TokenJSON] = [
            "kty": "EC", "crv": "P-256", "kid": "off-curve",
            "x": .string(TokenBase64URL.encode([UInt8](repeating: 1, count: 32))),
            "y": .string(TokenBase64URL.encode([UInt8](repeating: 2, count: 32))),
        ]
        let symmetric: [String: TokenJSON] = ["kty": "oct", "kid": "hmac", "k": "c2VjcmV0"]
        let ed448: [String: TokenJSON] = ["kty": "OKP", "crv": "Ed448", "kid": "ed448", "x": "AAAA"]
        let paddedModulus: [String: TokenJSON] = ["kty": "RSA", "kid": "padded", "n": "AQAB==", "e": "AQAB"]
        let notAnObject: [String: TokenJSON] = [:]
        let jwks = TestKeys.jwks(jwks: [
            encryption, badAlg, mismatchedAlg, shortCoordinate, offCurve, symmetric, ed448, paddedModulus, notAnObject,
            TestKeys.rsa.publicJWK(),
        ])
        let set = try JSONWebKeySet(jsonBytes: Array(jwks.utf8))
        #expect(set.keys.map(\.keyID) == ["rsa-1"])
    }

    @Test("key ids are compared byte for byte, not by Unicode canonical equivalence")
    func kidBytes() throws {
        // KELVIN SIGN (U+212A) is canonically equivalent to K; é precomposed to e + combining acute.
        let jwks = TestKeys.jwks([TestKeys.rsa.withKeyID("\u{212A}1"), TestKeys.p256.withKeyID("K1"),
                                  TestKeys.ed25519.withKeyID("\u{E9}")])
        let set = try JSONWebKeySet(jsonBytes: Array(jwks.utf8))
        #expect(set.keys.count == 3)
        #expect(set[keyID: "K1"]?.keyType == .p256)
        #expect(set[keyID: "\u{212A}1"]?.keyType == .rsa)
        #expect(set[keyID: "e\u{301}"] == nil)
    }

    @Test("the first of two keys with the same kid wins")
    func duplicateKid() throws {
        let jwks = TestKeys.jwks([TestKeys.rsa, TestKeys.p256.withKeyID("rsa-1")])
        let set = try JSONWebKeySet(jsonBytes: Array(jwks.utf8))
        #expect(set.keys.count == 1)
        #expect(set[keyID: "rsa-1"]?.keyType == .rsa)
    }

    @Test("a document without a keys array is an error", arguments: ["[]", "{}", "{\"keys\": {}}", "not json"])
    func invalidDocument(_ text: String) {
        #expect(throws: OIDCError.keysUnavailable) { try JSONWebKeySet(jsonBytes: Array(text.utf8)) }
    }

    @Test("key type decides the algorithms a key may verify")
    func canVerify() throws {
        let set = try JSONWebKeySet(jsonBytes: Array(TestKeys.jwks(TestKeys.all).utf8))
        let rsa = try #require(set[keyID: "rsa-1"])
        #expect(JWSAlgorithm.allCases.filter(rsa.canVerify) == [.rs256, .rs384, .rs512, .ps256, .ps384, .ps512])
        #expect(JWSAlgorithm.allCases.filter(try #require(set[keyID: "ec-384"]).canVerify) == [.es384])
        #expect(JWSAlgorithm.allCases.filter(try #require(set[keyID: "ed-1"]).canVerify) == [.edDSA])
    }
}
