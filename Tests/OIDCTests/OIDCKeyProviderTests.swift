import Foundation
import Logging
import OIDC
import Testing
import VZAuthTestSupport

/// Runs `body` with a started issuer double, shutting it down afterwards.
private func withIssuer<T>(
    _ issuer: OIDCIssuerDouble = OIDCIssuerDouble(),
    _ body: (OIDCIssuerDouble) async throws -> T
) async throws -> T {
    try await issuer.start()
    do {
        let result = try await body(issuer)
        try await issuer.shutdown()
        return result
    } catch {
        try? await issuer.shutdown()
        throw error
    }
}

/// Records refresh events.
private final class EventRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [KeyRefreshEvent] = []

    var events: [KeyRefreshEvent] {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.recorded
    }

    func record(_ event: KeyRefreshEvent) {
        self.lock.lock()
        defer { self.lock.unlock() }
        self.recorded.append(event)
    }
}

private func provider(
    for issuer: OIDCIssuerDouble,
    configure: (inout OIDCProviderConfiguration) -> Void = { _ in },
    recorder: EventRecorder? = nil
) -> OIDCKeyProvider {
    var configuration = OIDCProviderConfiguration(issuer: issuer.issuer, requestTimeout: .seconds(2))
    configure(&configuration)
    var observer: (@Sendable (KeyRefreshEvent) -> Void)?
    if let recorder {
        observer = { event in recorder.record(event) }
    }
    return OIDCKeyProvider(
        configuration: configuration,
        logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
        observer: observer
    )
}

private func authenticator(_ provider: OIDCKeyProvider, issuer: String) -> TokenAuthenticator {
    TokenAuthenticator(keySource: provider, policy: TokenPolicy(issuer: issuer, allowedClientIDs: ["verrazzano-pkce"]))
}

@Suite("OIDC key provider against an issuer double")
struct OIDCKeyProviderTests {
    @Test("not ready until the keys are loaded; then tokens verify and the discovery document is kept")
    func loads() async throws {
        try await withIssuer { issuer in
            let recorder = EventRecorder()
            let provider = provider(for: issuer, recorder: recorder)
            #expect(!provider.isReady)
            #expect(provider.currentKeys == nil)
            try await provider.load()
            #expect(provider.isReady)
            #expect(provider.currentKeys?.keys.map(\.keyID) == ["rsa-1"])
            let document = try #require(provider.discoveryDocument)
            #expect(document.issuer == issuer.issuer)
            #expect(document.jwksURI == issuer.jwksURL)
            #expect(document.tokenEndpoint == issuer.issuer + "/protocol/openid-connect/token")
            #expect(document.authorizationEndpoint == issuer.issuer + "/protocol/openid-connect/auth")
            #expect(document.endSessionEndpoint == issuer.issuer + "/protocol/openid-connect/logout")
            #expect(document.userinfoEndpoint == issuer.issuer + "/protocol/openid-connect/userinfo")
            #expect(recorder.events == [KeyRefreshEvent(trigger: .startup, outcome: .success(keyCount: 1))])

            let identity = try await authenticator(provider, issuer: issuer.issuer).authenticate(issuer.mint())
            #expect(identity.groups == ["verrazzano-admins"])
        }
    }

    @Test("an unknown kid triggers exactly one refetch, after which the rotated key verifies")
    func rotation() async throws {
        try await withIssuer { issuer in
            let provider = provider(for: issuer)
            try await provider.load()
            let authenticator = authenticator(provider, issuer: issuer.issuer)
            #expect(issuer.jwksFetchCount == 1)

            issuer.rotateKey(to: TestKeys.p256.withKeyID("rotated-1"))
            let token = issuer.mint()
            #expect(authenticator.authenticateWithCurrentKeys(token) == .needsKeyRefresh)
            _ = try await authenticator.authenticate(token)
            #expect(issuer.jwksFetchCount == 2)
            #expect(issuer.discoveryFetchCount == 1)  // only the key set is refetched

            // Within the window another unknown kid gets no fetch and is refused.
            issuer.rotateKey(to: TestKeys.ed25519.withKeyID("rotated-2"))
            await #expect(throws: OIDCError.unknownKey) { try await authenticator.authenticate(issuer.mint()) }
            #expect(issuer.jwksFetchCount == 2)
            #expect(await provider.refetchForUnknownKey() == false)
            #expect(issuer.jwksFetchCount == 2)
        }
    }

    @Test("concurrent callers with an unknown kid share one fetch")
    func sharedFetch() async throws {
        try await withIssuer { issuer in
            let provider = provider(for: issuer)
            try await provider.load()
            let authenticator = authenticator(provider, issuer: issuer.issuer)
            issuer.rotateKey(to: TestKeys.p384.withKeyID("rotated"))
            let tokens = (0..<20).map { issuer.mint(claims: issuer.minter.keycloakClaims(subject: "user-\($0)")) }
            try await withThrowingTaskGroup(of: Identity.self) { group in
                for token in tokens {
                    group.addTask { try await authenticator.authenticate(token) }
                }
                var count = 0
                for try await _ in group { count += 1 }
                #expect(count == 20)
            }
            #expect(issuer.jwksFetchCount == 2)
        }
    }

    @Test("after the refetch interval another unknown kid fetches again")
    func windowExpires() async throws {
        try await withIssuer { issuer in
            // A window long enough that a slow, loaded machine still makes the second call inside it.
            let provider = provider(for: issuer) { $0.unknownKeyRefetchInterval = .seconds(4) }
            try await provider.load()
            #expect(await provider.refetchForUnknownKey())
            #expect(await provider.refetchForUnknownKey() == false)
            try await Task.sleep(for: .milliseconds(4100))
            #expect(await provider.refetchForUnknownKey())
            #expect(issuer.jwksFetchCount == 3)
        }
    }

    @Test("a discovery URL different from the issuer: jwks_uri is fetched at the discovery URL's origin")
    func inClusterDiscovery() async throws {
        let publicIssuer = "https://keycloak.example.com/auth/realms/verrazzano-system"
        try await withIssuer(OIDCIssuerDouble(publicIssuer: publicIssuer)) { issuer in
            let provider = provider(for: issuer) { $0.discoveryURL = issuer.discoveryURL }
            try await provider.load()
            #expect(provider.discoveryDocument?.jwksURI == publicIssuer + "/protocol/openid-connect/certs")
            #expect(provider.configuration.internalURL(for: publicIssuer + "/protocol/openid-connect/certs") == issuer.jwksURL)
            #expect(issuer.jwksFetchCount == 1)
            let identity = try await authenticator(provider, issuer: publicIssuer).authenticate(issuer.mint())
            #expect(identity.username == "8f0e6c1e-3b7a-4d4f-9b1a-5c2d7e9f0a11")
        }
    }

    @Test("with the default discovery URL, a document naming another issuer is refused")
    func issuerMismatch() async throws {
        try await withIssuer(OIDCIssuerDouble(publicIssuer: "https://elsewhere.example.com/realms/x")) { issuer in
            let recorder = EventRecorder()
            let provider = OIDCKeyProvider(
                configuration: OIDCProviderConfiguration(issuer: issuer.baseURL + issuer.realmPath),
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                observer: { recorder.record($0) }
            )
            await #expect(throws: OIDCError.keysUnavailable) { try await provider.load() }
            #expect(recorder.events.map(\.outcome) == [.failure(.issuerMismatch)])
            #expect(!provider.isReady)
        }
    }

    @Test("an issuer answering 500 leaves the provider not ready, reports the failure and does not crash")
    func serverError() async throws {
        try await withIssuer { issuer in
            issuer.setBehaviour(.fail(status: 500))
            let recorder = EventRecorder()
            let provider = provider(for: issuer, recorder: recorder)
            await #expect(throws: OIDCError.keysUnavailable) { try await provider.load() }
            #expect(!provider.isReady)
            #expect(await provider.refetchForUnknownKey() == false)
            #expect(!provider.isReady)
            #expect(recorder.events.map(\.outcome) == [.failure(.httpStatus), .failure(.httpStatus)])
            let authenticator = authenticator(provider, issuer: issuer.issuer)
            await #expect(throws: OIDCError.providerNotReached) { try await authenticator.authenticate(issuer.mint()) }
        }
    }

    /// The message of the error a provider's first load of `issuer` ends with (empty if it loads).
    private static func firstLoadMessage(issuer: String) async -> String {
        let provider = OIDCKeyProvider(
            configuration: OIDCProviderConfiguration(issuer: issuer, requestTimeout: .seconds(5)),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        do {
            try await provider.load()
            return ""
        } catch {
            return error.message
        }
    }

    @Test("an https issuer URL answered by plain HTTP says so in the first load's error")
    func httpsAnsweredByHTTP() async throws {
        try await withIssuer { issuer in
            let url = issuer.issuer.replacingOccurrences(of: "http://", with: "https://")
            let message = await Self.firstLoadMessage(issuer: url)
            #expect(message.contains("is answered by plain HTTP, not TLS: use an http:// URL"), "\(message)")
            #expect(!message.contains("BoringSSL") && !message.contains("NIOSSL"), "\(message)")
        }
    }

    @Test("an http issuer URL answered by TLS says so in the first load's error")
    func httpAnsweredByTLS() async throws {
        let authority = try TestCertificateAuthority()
        let certificate = try authority.makeServerCertificate(name: "issuer")
        // A TLS server (the API server double with TLS) asked in plain HTTP.
        let server = try await KubeAPIEmulator.start(configuration: KubeAPIEmulator.Configuration(
            tlsConfiguration: try certificate.serverTLSConfiguration()))
        let url = server.baseURL.replacingOccurrences(of: "https://", with: "http://") + "/realms/x"
        let message = await Self.firstLoadMessage(issuer: url)
        try await server.shutdown()
        #expect(message.contains("use an https:// URL"), "\(message)")
    }

    @Test("a hanging issuer hits the request deadline")
    func hanging() async throws {
        try await withIssuer { issuer in
            issuer.setBehaviour(.hang)
            let recorder = EventRecorder()
            let provider = provider(for: issuer, configure: { $0.requestTimeout = .milliseconds(300) }, recorder: recorder)
            let started = ContinuousClock.now
            await #expect(throws: OIDCError.keysUnavailable) { try await provider.load() }
            // The issuer never answers: only the 300 ms deadline ends the load (the bound is loose for busy CI machines).
            #expect(ContinuousClock.now - started < .seconds(30))
            #expect(recorder.events.map(\.outcome) == [.failure(.transport)])
        }
    }

    @Test("a key set larger than the limit is refused")
    func tooLarge() async throws {
        try await withIssuer { issuer in
            issuer.addRawJWK(["kty": "oct", "k": .string(String(repeating: "A", count: 4096))])
            let recorder = EventRecorder()
            let provider = provider(for: issuer, configure: { $0.maximumResponseSize = 2048 }, recorder: recorder)
            await #expect(throws: OIDCError.keysUnavailable) { try await provider.load() }
            #expect(recorder.events.map(\.outcome) == [.failure(.tooLarge)])
        }
    }

    @Test("run() retries until the issuer recovers, becomes ready, and ends when cancelled")
    func runService() async throws {
        try await withIssuer { issuer in
            issuer.setBehaviour(.fail(status: 503))
            let recorder = EventRecorder()
            let provider = provider(
                for: issuer,
                configure: {
                    $0.initialRetryDelay = .milliseconds(20)
                    $0.maximumRetryDelay = .milliseconds(40)
                    $0.refreshInterval = .milliseconds(100)
                },
                recorder: recorder
            )
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await provider.run() }
                // Waits counted in checks, not by the clock: on a loaded machine (the whole suite on two cores) the
                // provider's task may not run for seconds, and a deadline would end the wait before it failed twice.
                for _ in 0..<1_000 where recorder.events.count < 2 {
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(!provider.isReady)
                issuer.setBehaviour(.normal)
                let deadline = ContinuousClock.now + .seconds(5)
                while !provider.isReady && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(provider.isReady)
                // Wait for a periodic refresh (bounded; a loaded machine may be slow to schedule it).
                let refreshDeadline = ContinuousClock.now + .seconds(5)
                while !recorder.events.contains(where: { $0.trigger == .periodic }) && ContinuousClock.now < refreshDeadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                group.cancelAll()
                try await group.waitForAll()
            }
            let events = recorder.events
            #expect(events.first == KeyRefreshEvent(trigger: .startup, outcome: .failure(.httpStatus)))
            #expect(events.contains(KeyRefreshEvent(trigger: .startup, outcome: .success(keyCount: 1))))
            #expect(events.contains(KeyRefreshEvent(trigger: .periodic, outcome: .success(keyCount: 1))))
        }
    }
}

@Suite("Provider configuration and discovery document")
struct OIDCProviderConfigurationTests {
    @Test("the default discovery URL hangs off the issuer")
    func defaultDiscovery() {
        let configuration = OIDCProviderConfiguration(issuer: "https://kc.example.com/auth/realms/vz")
        #expect(configuration.effectiveDiscoveryURL == "https://kc.example.com/auth/realms/vz/.well-known/openid-configuration")
        #expect(configuration.internalURL(for: "https://kc.example.com/x") == "https://kc.example.com/x")
    }

    @Test("internal URL rewriting applies only to the issuer's origin", arguments: [
        ("https://kc.example.com/auth/realms/vz/protocol/openid-connect/certs", "http://keycloak-http.keycloak.svc:8080/auth/realms/vz/protocol/openid-connect/certs"),
        ("https://kc.example.com:443/auth/realms/vz/certs?x=1", "http://keycloak-http.keycloak.svc:8080/auth/realms/vz/certs?x=1"),
        ("https://other.example.com/certs", "https://other.example.com/certs"),
        ("http://kc.example.com/certs", "http://kc.example.com/certs"),
    ])
    func rewrite(_ input: String, _ expected: String) {
        let configuration = OIDCProviderConfiguration(
            issuer: "https://kc.example.com/auth/realms/vz",
            discoveryURL: "http://keycloak-http.keycloak.svc:8080/auth/realms/vz/.well-known/openid-configuration"
        )
        #expect(configuration.internalURL(for: input) == expected)
    }

    @Test("a discovery document needs issuer and jwks_uri as strings", arguments: [
        "{}", #"{"issuer": "x"}"#, #"{"issuer": "x", "jwks_uri": 3}"#, #"{"issuer": "x", "jwks_uri": "y", "token_endpoint": 1}"#, "[]",
    ])
    func invalidDiscovery(_ text: String) {
        #expect(throws: OIDCError.keysUnavailable) { try OIDCDiscoveryDocument(jsonBytes: Array(text.utf8)) }
    }
}
