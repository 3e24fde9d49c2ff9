import Foundation
import OIDC
import Testing
import VZAuthTestSupport

/// One refused token: how to make it, and the metric label the refusal must carry.
struct BadToken: Sendable, CustomTestStringConvertible {
    let name: String
    let label: String
    let mapping: ClaimMapping
    let make: @Sendable () -> String

    init(
        _ name: String,
        _ label: String,
        mapping: ClaimMapping = ClaimMapping(requiredRole: "vz_api_access"),
        _ make: @escaping @Sendable () -> String
    ) {
        self.name = name
        self.label = label
        self.mapping = mapping
        self.make = make
    }

    var testDescription: String { "\(self.name) → \(self.label)" }
}

private let now = Fixture.now.timeIntervalSince1970

private func segments(_ token: String) -> [String] {
    token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
}

let badTokens: [BadToken] = [
    // Signature and algorithm
    BadToken("tampered signature", "bad_signature") { TokenMinter.tamperedSignature(Fixture.token()) },
    BadToken("payload swapped, signature kept", "bad_signature") {
        TokenMinter.replacingPayload(of: Fixture.token(), with: Fixture.claims(["sub": "mallory"]))
    },
    BadToken("alg none with junk signature", "unsupported_algorithm") {
        Fixture.minter().unsignedWithJunkSignature(claims: Fixture.claims())
    },
    BadToken("alg none with empty signature", "malformed") { Fixture.minter().unsigned(claims: Fixture.claims()) },
    BadToken("HS256 keyed with the RSA public key (DER)", "unsupported_algorithm") {
        Fixture.minter().hs256WithPublicKey(claims: Fixture.claims())
    },
    BadToken("HS256 keyed with the RSA public key (PEM)", "unsupported_algorithm") {
        Fixture.minter().hs256WithPublicKey(claims: Fixture.claims(), usePEM: true)
    },
    BadToken("alg in lower case", "unsupported_algorithm") {
        Fixture.minter().mint(claims: Fixture.claims(), algorithm: "RS256", headerChanges: ["alg": "rs256"])
    },
    BadToken("alg missing", "malformed") {
        Fixture.minter().mint(claims: Fixture.claims(), headerChanges: ["alg": nil])
    },
    BadToken("RS256 header naming an EC key", "unsupported_algorithm") {
        Fixture.minter().mint(claims: Fixture.claims(), headerChanges: ["kid": "ec-256"])
    },
    BadToken("ES256 header naming a P-384 key", "unsupported_algorithm") {
        Fixture.minter(TestKeys.p384).mint(claims: Fixture.claims(), algorithm: "ES384", headerChanges: ["alg": "ES256"])
    },
    BadToken("RS256 with a key restricted to PS256", "unsupported_algorithm") {
        Fixture.minter(TestKeys.rsa2).mint(claims: Fixture.claims(), algorithm: "RS256")
    },
    BadToken("ES256 signature of wrong length", "bad_signature") {
        let token = Fixture.token(key: TestKeys.p256)
        var parts = segments(token)
        parts[2] = TokenBase64URL.encode([UInt8](repeating: 7, count: 63))
        return parts.joined(separator: ".")
    },
    BadToken("ES256 signature DER-encoded instead of raw r||s", "bad_signature") {
        let token = Fixture.token(key: TestKeys.p256)
        var parts = segments(token)
        parts[2] = TokenBase64URL.encode([0x30, 0x44, 0x02, 0x20] + Array(repeating: 0x11, count: 32) + [0x02, 0x20] + Array(repeating: 0x22, count: 32))
        return parts.joined(separator: ".")
    },
    BadToken("EdDSA token signed by another Ed25519 key", "bad_signature") {
        Fixture.minter(TestSigningKey(kind: .ed25519, kid: "ed-1")).mint(claims: Fixture.claims())
    },
    // Keys
    BadToken("no kid, and no key that fits its alg verifies it, even after a refetch", "unknown_key") {
        Fixture.minter(TestSigningKey(kind: .rsa2048, kid: "not-published")).mint(claims: Fixture.claims(), headerChanges: ["kid": nil])
    },
    BadToken("unknown kid", "unknown_key") {
        Fixture.minter().mint(claims: Fixture.claims(), headerChanges: ["kid": "rotated-away"])
    },
    BadToken("kid is a number", "malformed") {
        Fixture.minter().mint(claims: Fixture.claims(), headerChanges: ["kid": 7])
    },
    BadToken("crit header", "malformed") {
        Fixture.minter().mint(claims: Fixture.claims(), headerChanges: ["crit": ["exp"]])
    },
    // Structure
    BadToken("empty token", "malformed") { "" },
    BadToken("two segments", "malformed") { segments(Fixture.token())[0...1].joined(separator: ".") },
    BadToken("four segments", "malformed") { Fixture.token() + ".AAAA" },
    BadToken("empty signature segment", "malformed") { segments(Fixture.token())[0...1].joined(separator: ".") + "." },
    BadToken("empty header segment", "malformed") { "." + segments(Fixture.token())[1...2].joined(separator: ".") },
    BadToken("invalid base64url character", "malformed") {
        var parts = segments(Fixture.token())
        parts[1] = "!" + parts[1].dropFirst()
        return parts.joined(separator: ".")
    },
    BadToken("standard base64 characters (+ /)", "malformed") {
        var parts = segments(Fixture.token())
        parts[2] = "+/" + parts[2].dropFirst(2)
        return parts.joined(separator: ".")
    },
    BadToken("base64 with padding", "malformed") {
        let minter = Fixture.minter()
        let header = TokenBase64URL.encode(TokenJSON.object(minter.header()).jsonString)
        // "{}" encodes to "e30" (3 chars): padded it is "e30=".
        return minter.sign(signingInput: header + ".e30=")
    },
    BadToken("whitespace inside the token", "malformed") {
        let token = Fixture.token()
        return String(token.prefix(10)) + " " + String(token.dropFirst(10))
    },
    BadToken("header is not JSON", "malformed") {
        Fixture.minter().mint(headerJSON: "{\"alg\":\"RS256\",", payloadJSON: Fixture.claims().description)
    },
    BadToken("header is a JSON string", "malformed") {
        Fixture.minter().mint(headerJSON: "\"RS256\"", payloadJSON: TokenJSON.object(Fixture.claims()).jsonString)
    },
    BadToken("payload is not JSON", "malformed") {
        Fixture.minter().mint(headerJSON: TokenJSON.object(Fixture.minter().header()).jsonString, payloadJSON: "{\"sub\": alice}")
    },
    BadToken("payload is an array", "malformed") {
        Fixture.minter().mint(headerJSON: TokenJSON.object(Fixture.minter().header()).jsonString, payloadJSON: "[1,2]")
    },
    BadToken("payload with duplicate sub", "malformed") {
        let json = TokenJSON.object(Fixture.claims()).jsonString
        return Fixture.minter().mint(
            headerJSON: TokenJSON.object(Fixture.minter().header()).jsonString,
            payloadJSON: String(json.dropLast()) + ",\"sub\":\"admin\"}"
        )
    },
    BadToken("header with duplicate alg", "malformed") {
        Fixture.minter().mint(
            headerJSON: "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"alg\":\"none\"}",
            payloadJSON: TokenJSON.object(Fixture.claims()).jsonString
        )
    },
    BadToken("oversized (> 64 KiB)", "oversized") {
        Fixture.token(["padding": .string(String(repeating: "x", count: 70_000))])
    },
    // Time
    BadToken("expired beyond skew", "expired") { Fixture.token(["exp": .number(now - 31)]) },
    BadToken("no exp", "expired") { Fixture.token(removing: ["exp"]) },
    BadToken("exp as a string", "malformed") { Fixture.token(["exp": .string(String(Int(now + 300)))]) },
    BadToken("exp as a boolean", "malformed") { Fixture.token(["exp": true]) },
    BadToken("nbf as a string", "malformed") { Fixture.token(["nbf": "0"]) },
    BadToken("not yet valid beyond skew", "not_yet_valid") { Fixture.token(["nbf": .number(now + 31)]) },
    BadToken("issued in the future beyond skew", "issued_in_future") { Fixture.token(["iat": .number(now + 120)]) },
    // Issuer and audience
    BadToken("wrong issuer", "wrong_issuer") { Fixture.token(["iss": "https://evil.example.com/auth/realms/verrazzano-system"]) },
    BadToken("issuer with trailing slash", "wrong_issuer") { Fixture.token(["iss": .string(Fixture.issuer + "/")]) },
    BadToken("issuer missing", "wrong_issuer") { Fixture.token(removing: ["iss"]) },
    BadToken("wrong client (azp)", "wrong_audience") { Fixture.token(["azp": "grafana"]) },
    BadToken("azp wrong although aud is allowed", "wrong_audience") {
        Fixture.token(["azp": "grafana", "aud": "verrazzano-pkce"])
    },
    BadToken("no azp, aud wrong", "wrong_audience") { Fixture.token(["aud": ["account", "grafana"]], removing: ["azp"]) },
    BadToken("no azp and no aud", "wrong_audience") { Fixture.token(removing: ["azp", "aud"]) },
    // Identity
    BadToken("username empty", "invalid_username") { Fixture.token(["sub": ""]) },
    BadToken("username missing", "invalid_username") { Fixture.token(removing: ["sub"]) },
    BadToken("username a number", "invalid_username") { Fixture.token(["sub": 42]) },
    BadToken("username with NUL", "invalid_username") { Fixture.token(["sub": "alice\u{0}admin"]) },
    BadToken("username with CR LF", "invalid_username") { Fixture.token(["sub": "alice\r\nImpersonate-User: admin"]) },
    BadToken("username with DEL", "invalid_username") { Fixture.token(["sub": "alice\u{7F}"]) },
    BadToken(
        "preferred_username with C1 control", "invalid_username",
        mapping: ClaimMapping(usernameClaim: "preferred_username")
    ) { Fixture.token(["preferred_username": "alice\u{85}"]) },
    BadToken("system: username", "forbidden_name") { Fixture.token(["sub": "system:admin"]) },
    BadToken("system:masters group", "forbidden_name") { Fixture.token(["groups": ["verrazzano-users", "system:masters"]]) },
    BadToken("groups with a number entry", "invalid_groups") { Fixture.token(["groups": ["verrazzano-users", 7]]) },
    BadToken("group with a newline", "invalid_groups") { Fixture.token(["groups": ["verrazzano-users\nsystem:masters"]]) },
    BadToken("empty group name", "invalid_groups") { Fixture.token(["groups": [""]]) },
    BadToken("groups as an object", "invalid_groups") { Fixture.token(["groups": ["a": "b"]]) },
    BadToken("missing required role", "missing_role") { Fixture.token(["realm_access": ["roles": ["offline_access"]]]) },
    BadToken("no realm_access at all", "missing_role") { Fixture.token(removing: ["realm_access"]) },
]

@Suite("Refused tokens")
struct BadTokenTests {
    @Test("the table is large enough")
    func tableSize() {
        #expect(badTokens.count >= 25)
    }

    @Test("each bad token is refused with its metric label", arguments: badTokens)
    func refused(_ case: BadToken) async {
        let authenticator = Fixture.authenticator(mapping: `case`.mapping)
        let token = `case`.make()
        do {
            let identity = try await authenticator.authenticate(token)
            Issue.record("accepted as \(identity.username)")
        } catch {
            #expect(error.metricLabel == `case`.label)
            #expect(error.httpStatus == (`case`.label == "missing_role" ? 403 : 401))
            // Messages never echo the token or its signature.
            for part in segments(token) where part.count > 8 {
                #expect(!error.description.contains(part))
            }
        }
        #expect(authenticator.cachedTokenCount == 0)
    }
}
