import DevelopmentIssuer
import Foundation
import OIDC
import Testing

@Suite("Development issuer signing key: generation, PEM file, restart")
struct SigningKeyFileTests {
    private func temporaryFolder() -> String {
        let path = NSTemporaryDirectory() + "deviss-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("A generated key is RSA-2048 RS256 with its thumbprint as kid")
    func generated() {
        let key = SigningKey.generate()
        #expect(key.kind == .rsa2048)
        #expect(key.defaultAlgorithm == "RS256")
        #expect(key.kid == key.thumbprint)
        #expect(key.kid.count == 43)
        #expect(SigningKey.generate().kid != key.kid)
    }

    @Test("loadOrCreate writes a 0600 PEM once, then reads the same key back", arguments: [SigningKey.Kind.rsa2048, .p256])
    func roundTrip(kind: SigningKey.Kind) throws {
        let file = self.temporaryFolder() + "/nested/issuer-key.pem"
        let (created, wasCreated) = try SigningKey.loadOrCreate(pemFile: file, kind: kind)
        #expect(wasCreated)
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try String(contentsOfFile: file, encoding: .utf8).contains("PRIVATE KEY-----"))
        let (loaded, wasCreatedAgain) = try SigningKey.loadOrCreate(pemFile: file, kind: kind)
        #expect(!wasCreatedAgain)
        #expect(loaded.kind == kind)
        #expect(loaded.kid == created.kid)
        #expect(loaded.publicJWK() == created.publicJWK())
    }

    @Test("A file that holds no key is refused with its path")
    func unusable() throws {
        let file = self.temporaryFolder() + "/key.pem"
        try "not a key".write(toFile: file, atomically: true, encoding: .utf8)
        #expect {
            try SigningKey.load(pemFile: file)
        } throws: { error in
            guard let error = error as? SigningKeyFileError, case .unsupportedKey(let path, _) = error else { return false }
            return path == file && error.description.contains(file)
        }
        #expect(throws: SigningKeyFileError.self) { try SigningKey.load(pemFile: file + ".missing") }
    }

    @Test("An issuer restarted on the same key file publishes the key that verifies the tokens it issued before")
    func restartKeepsTokensValid() async throws {
        let file = self.temporaryFolder() + "/issuer-key.pem"
        let users = DevelopmentIssuer.User.builtInUsers(passwords: ["alice": "wonderland"])
        let first = try SigningKey.loadOrCreate(pemFile: file).key
        let (token, issuerURL) = try await withIssuer(.sandbox(users: users), key: first) { issuer in
            let answer = try await withHTTP { http in
                try await http.postForm(
                    issuer.issuer + "/protocol/openid-connect/token",
                    [("grant_type", "password"), ("client_id", "verrazzano-pg"), ("username", "alice"), ("password", "wonderland"),
                     ("scope", "openid")])
            }
            #expect(answer.status == 200, "\(answer.text)")
            return (jsonObject(answer.text)["access_token"] as? String ?? "", issuer.issuer)
        }
        let second = try SigningKey.loadOrCreate(pemFile: file).key
        // A restart may not get the same port back in a busy test run; the key set is what matters here (the
        // issuer URL of the first start is the one the token names).
        try await withIssuer(.sandbox(users: users), key: second) { issuer in
            let jwks = try await withHTTP { try await $0.get(issuer.jwksURL) }
            let authenticator = TokenAuthenticator(
                keySource: StaticKeySource(try JSONWebKeySet(jsonBytes: Array(jwks.text.utf8))),
                policy: TokenPolicy(issuer: issuerURL, allowedClientIDs: ["verrazzano-pg"])
            )
            let identity = try await authenticator.authenticate(token)
            #expect(identity.username == DevelopmentIssuer.User.derivedSubject(for: "alice"))  // the default claim mapping: sub
            #expect(identity.groups == ["verrazzano-admins"])
            #expect(identity.roles.contains("vz_api_access"))
            #expect(identity.subject == DevelopmentIssuer.User.derivedSubject(for: "alice"))
        }
    }

    @Test("start(port:) serves on the port given, and the issuer URL has Keycloak's shape")
    func givenPort() async throws {
        // A port free a moment ago; another process may take it in between, so try a few.
        for attempt in 1...5 {
            let probe = DevelopmentIssuer(configuration: .sandbox(users: []), key: SharedKey.rsa)
            try await probe.start()
            let port = Int(probe.baseURL.split(separator: ":").last!)!
            try await probe.shutdown()
            let issuer = DevelopmentIssuer(configuration: .sandbox(users: []), key: SharedKey.rsa)
            do {
                try await issuer.start(port: port)
            } catch {
                try? await issuer.shutdown()
                if attempt == 5 { throw error }
                continue
            }
            #expect(issuer.issuer == "http://127.0.0.1:\(port)/auth/realms/verrazzano-system")
            let discovery = try await withHTTP { try await $0.get(issuer.discoveryURL) }
            #expect(jsonObject(discovery.text)["issuer"] as? String == issuer.issuer)
            try await issuer.shutdown()
            return
        }
    }
}
