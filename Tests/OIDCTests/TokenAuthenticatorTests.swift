import Foundation
import OIDC
import Testing
import VZAuthTestSupport

@Suite("Accepted tokens and identity mapping")
struct TokenAuthenticatorTests {
    static let algorithms: [(String, TestSigningKey)] = [
        ("RS256", TestKeys.rsa), ("RS384", TestKeys.rsa), ("RS512", TestKeys.rsa),
        ("PS256", TestKeys.rsa), ("PS384", TestKeys.rsa), ("PS512", TestKeys.rsa),
        ("PS256", TestKeys.rsa2),
        ("ES256", TestKeys.p256), ("ES384", TestKeys.p384), ("ES512", TestKeys.p521),
        ("EdDSA", TestKeys.ed25519),
    ]

    @Test("every allowed algorithm verifies with a fitting key", arguments: algorithms)
    func algorithm(_ algorithm: String, _ key: TestSigningKey) throws {
        let token = Fixture.minter(key).mint(claims: Fixture.claims(), algorithm: algorithm)
        let outcome = Fixture.authenticator().authenticateWithCurrentKeys(token)
        guard case .authenticated(let identity) = outcome else {
            Issue.record("\(algorithm) with \(key.kid): \(outcome)")
            return
        }
        #expect(identity.username == "8f0e6c1e-3b7a-4d4f-9b1a-5c2d7e9f0a11")
        #expect(identity.groups == ["verrazzano-admins"])
        #expect(identity.roles == ["vz_api_access", "offline_access"])
        #expect(identity.expiresAt == Fixture.now.addingTimeInterval(300))
        #expect(identity.subject == identity.username)
    }

    @Test("a token expired less than the clock skew ago is accepted")
    func expiredWithinSkew() async throws {
        let token = Fixture.token(["exp": .number(Fixture.now.timeIntervalSince1970 - 29)])
        let identity = try await Fixture.authenticator().authenticate(token)
        #expect(identity.groups == ["verrazzano-admins"])
    }

    @Test("nbf and iat slightly in the future are accepted within the skew")
    func futureWithinSkew() async throws {
        let soon = Fixture.now.timeIntervalSince1970 + 20
        _ = try await Fixture.authenticator().authenticate(Fixture.token(["nbf": .number(soon), "iat": .number(soon)]))
    }

    @Test("a groups claim that is one string with a comma stays one group")
    func singleStringGroup() async throws {
        let identity = try await Fixture.authenticator().authenticate(Fixture.token(["groups": "admins,editors"]))
        #expect(identity.groups == ["admins,editors"])
    }

    @Test("no groups claim means no groups")
    func noGroups() async throws {
        let identity = try await Fixture.authenticator().authenticate(Fixture.token(removing: ["groups"]))
        #expect(identity.groups.isEmpty)
    }

    @Test("aud as an array names the client when azp is absent")
    func audienceArray() async throws {
        let token = Fixture.token(["aud": ["account", "verrazzano-pg"]], removing: ["azp"])
        _ = try await Fixture.authenticator().authenticate(token)
    }

    @Test("aud as a string names the client when azp is absent")
    func audienceString() async throws {
        _ = try await Fixture.authenticator().authenticate(Fixture.token(["aud": "verrazzano-pkce"], removing: ["azp"]))
    }

    @Test("the username can come from preferred_username")
    func preferredUsername() async throws {
        let authenticator = Fixture.authenticator(mapping: ClaimMapping(usernameClaim: "preferred_username"))
        let identity = try await authenticator.authenticate(Fixture.token(["preferred_username": "bob"]))
        #expect(identity.username == "bob")
        #expect(identity.subject == "8f0e6c1e-3b7a-4d4f-9b1a-5c2d7e9f0a11")
    }

    @Test("a dotted roles claim reaches nested objects; names are case-sensitive")
    func nestedRoles() async throws {
        let mapping = ClaimMapping(rolesClaim: "resource_access.verrazzano-pkce.roles", requiredRole: "viewer")
        let authenticator = Fixture.authenticator(mapping: mapping)
        let good = Fixture.token(["resource_access": ["verrazzano-pkce": ["roles": ["viewer"]]]])
        #expect(try await authenticator.authenticate(good).roles == ["viewer"])
        let wrongCase = Fixture.token(["resource_access": ["Verrazzano-PKCE": ["roles": ["viewer"]]]])
        await #expect(throws: OIDCError.missingRole) { try await authenticator.authenticate(wrongCase) }
    }

    @Test("a top-level claim whose name contains dots is found by its exact name")
    func dottedTopLevelName() async throws {
        let mapping = ClaimMapping(groupsClaim: "https://example.com/groups")
        let identity = try await Fixture.authenticator(mapping: mapping)
            .authenticate(Fixture.token(["https://example.com/groups": ["team-a"]]))
        #expect(identity.groups == ["team-a"])
    }

    @Test("no required role: tokens without roles pass")
    func noRequiredRole() async throws {
        let identity = try await Fixture.authenticator(mapping: ClaimMapping()).authenticate(Fixture.token(removing: ["realm_access"]))
        #expect(identity.roles.isEmpty)
    }

    @Test("system: names pass only when explicitly allowed")
    func systemNamesAllowed() async throws {
        let mapping = ClaimMapping(allowSystemPrefixedNames: true)
        let identity = try await Fixture.authenticator(mapping: mapping)
            .authenticate(Fixture.token(["sub": "system:admin", "groups": ["system:masters"]]))
        #expect(identity.username == "system:admin")
        #expect(identity.groups == ["system:masters"])
    }

    @Test("a token without kid verifies when the set holds exactly one key")
    func noKidSingleKey() async throws {
        let single = try JSONWebKeySet(jsonBytes: Array(TestKeys.jwks([TestKeys.p256]).utf8))
        let token = Fixture.minter(TestKeys.p256).mint(claims: Fixture.claims(), headerChanges: ["kid": nil])
        _ = try await Fixture.authenticator(keySource: StaticKeySource(single)).authenticate(token)
    }

    @Test("a token without kid is tried against the keys that fit its alg; it passes when exactly one verifies it")
    func noKidSeveralKeys() async throws {
        // PS256 fits rsa-1 (no alg restriction) and rsa-2 (alg PS256); only rsa-2 signed it.
        let token = Fixture.minter(TestKeys.rsa2).mint(claims: Fixture.claims(), algorithm: "PS256", headerChanges: ["kid": nil])
        _ = try await Fixture.authenticator().authenticate(token)
        // RS256 with no kid, signed by rsa-1: the only RSA key allowed RS256.
        _ = try await Fixture.authenticator().authenticate(Fixture.minter().mint(claims: Fixture.claims(), headerChanges: ["kid": nil]))
    }

    @Test("a token without kid is refused when more keys fit its alg than are worth trying")
    func noKidTooManyKeys() async throws {
        let keys = (1...5).map { TestSigningKey(kind: .p256, kid: "ec-\($0)") }
        let set = try JSONWebKeySet(jsonBytes: Array(TestKeys.jwks(keys).utf8))
        let token = Fixture.minter(keys[2]).mint(claims: Fixture.claims(), headerChanges: ["kid": nil])
        await #expect(throws: OIDCError.unknownKey) {
            _ = try await Fixture.authenticator(keySource: StaticKeySource(set)).authenticate(token)
        }
    }

    @Test("a joined groups string is split only with a delimiter; spaces around groups and empty pieces are dropped")
    func groupsDelimiter() async throws {
        let joined = try await Fixture.authenticator().authenticate(Fixture.token(["groups": "admins, editors"]))
        #expect(joined.groups == ["admins, editors"], "without a delimiter a string is one group")
        let token = Fixture.token(["groups": "admins, editors,,viewers "])
        let split = try await Fixture.authenticator(mapping: ClaimMapping(requiredRole: "vz_api_access", groupsDelimiter: ","))
            .authenticate(token)
        #expect(split.groups == ["admins", "editors", "viewers"])
        let array = try await Fixture.authenticator(mapping: ClaimMapping(requiredRole: "vz_api_access", groupsDelimiter: ","))
            .authenticate(Fixture.token(["groups": ["a,b", "c"]]))
        #expect(array.groups == ["a,b", "c"], "arrays are never split")
    }

    @Test("extra accepted audiences let bearer tokens for the proxy as a resource server in; ID tokens still need a client")
    func acceptedAudiences() async throws {
        let clock = TestClock(Fixture.now)
        let authenticator = TokenAuthenticator(
            keySource: StaticKeySource(Fixture.keySet),
            policy: TokenPolicy(issuer: Fixture.issuer, allowedClientIDs: Fixture.clients, acceptedAudiences: ["api://vzauth"]),
            mapping: ClaimMapping(requiredRole: "vz_api_access"), now: { clock.now })
        let accessToken = Fixture.token(["aud": "api://vzauth", "azp": "some-cli"])
        _ = try await authenticator.authenticate(accessToken)
        await #expect(throws: OIDCError.wrongAudience) {
            _ = try await Fixture.authenticator().authenticate(accessToken)
        }
        let idToken = Fixture.token(["aud": "api://vzauth", "azp": .null, "nonce": "n-1"], removing: ["azp"])
        await #expect(throws: OIDCError.wrongAudience) {
            _ = try await authenticator.authenticateIDToken(idToken, expectedNonce: "n-1")
        }
    }

    @Test("a Substring token works like a String")
    func substring() {
        let header = "Bearer " + Fixture.token()
        let token = header.dropFirst("Bearer ".count)
        guard case .authenticated = Fixture.authenticator().authenticateWithCurrentKeys(token) else {
            Issue.record("Substring token refused")
            return
        }
    }

    @Test("an unknown kid asks for a key refresh on the synchronous path")
    func needsRefresh() {
        let token = Fixture.minter().mint(claims: Fixture.claims(), headerChanges: ["kid": "new-key"])
        #expect(Fixture.authenticator().authenticateWithCurrentKeys(token) == .needsKeyRefresh)
    }

    @Test("keys never loaded: refused at once with 503 provider_not_reached, on both paths, without waiting for a refetch")
    func noKeys() async {
        let authenticator = Fixture.authenticator(keySource: MutableKeySource(nil))
        #expect(authenticator.authenticateWithCurrentKeys(Fixture.token()) == .rejected(.providerNotReached))
        #expect(OIDCError.providerNotReached.httpStatus == 503)
        await #expect(throws: OIDCError.providerNotReached) { try await authenticator.authenticate(Fixture.token()) }
        // Malformed tokens are refused as such even without keys.
        #expect(authenticator.authenticateWithCurrentKeys("a.b") == .rejected(.malformed))
    }
}
