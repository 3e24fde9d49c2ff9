import DevelopmentIssuer
import Foundation
import OIDC
import Testing

@Suite("Development issuer: back-channel logout")
struct BackchannelLogoutTests {
    @Test("Ending a session posts a logout token the OIDC proxy's verifier accepts to the client's back-channel URI")
    func delivered() async throws {
        let receiver = try await LogoutReceiver.start()
        defer { Task { await receiver.stop() } }
        let users = DevelopmentIssuer.User.builtInUsers(passwords: ["bob": "builder"])
        try await withIssuer(.sandbox(users: users, backchannelLogoutURI: receiver.url)) { issuer in
            let tokens = try await withHTTP { http in
                try await http.postForm(
                    issuer.issuer + "/protocol/openid-connect/token",
                    [("grant_type", "password"), ("client_id", "verrazzano-pkce"), ("username", "bob"), ("password", "builder"),
                     ("scope", "openid")])
            }
            #expect(tokens.status == 200, "\(tokens.text)")
            let members = jsonObject(tokens.text)
            let sessionID = try #require(members["session_state"] as? String)
            let idToken = try #require(members["id_token"] as? String)

            let logout = try await withHTTP {
                try await $0.get(issuer.issuer + "/protocol/openid-connect/logout?" + formEncode([("id_token_hint", idToken)]))
            }
            #expect(logout.status == 200)
            #expect(issuer.activeSessionCount == 0)

            let body = try #require(await receiver.next())
            #expect(body.hasPrefix("logout_token="))
            let token = try #require(String(body.dropFirst("logout_token=".count)).removingPercentEncoding)
            let jwks = try await withHTTP { try await $0.get(issuer.jwksURL) }
            let verifier = LogoutTokenVerifier(
                keySource: StaticKeySource(try JSONWebKeySet(jsonBytes: Array(jwks.text.utf8))),
                policy: TokenPolicy(issuer: issuer.issuer, allowedClientIDs: ["verrazzano-pkce"])
            )
            let verified = try await verifier.verify(token)
            #expect(verified.sessionID == sessionID)
            #expect(verified.subject == DevelopmentIssuer.User.derivedSubject(for: "bob"))

            var deliveries: [DevelopmentIssuer.BackchannelLogoutDelivery] = []
            for _ in 0..<100 where deliveries.isEmpty {
                deliveries = issuer.backchannelLogoutDeliveries
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(deliveries.count == 1)
            #expect(deliveries.first?.clientID == "verrazzano-pkce")
            #expect(deliveries.first?.uri == receiver.url)
            #expect(deliveries.first?.sessionID == sessionID)
            #expect(deliveries.first?.status == 200)
            #expect(deliveries.first?.failure == nil)
        }
    }

    @Test("A client that had no tokens in the session is not notified; ending every session of a user notifies")
    func onlyClientsOfTheSession() async throws {
        let receiver = try await LogoutReceiver.start()
        defer { Task { await receiver.stop() } }
        let users = DevelopmentIssuer.User.builtInUsers(passwords: ["alice": "wonderland"])
        try await withIssuer(.sandbox(users: users, backchannelLogoutURI: receiver.url)) { issuer in
            // A password grant with verrazzano-pg: verrazzano-pkce (the one with a back-channel URI) took no part.
            let pg = try await withHTTP { http in
                try await http.postForm(
                    issuer.issuer + "/protocol/openid-connect/token",
                    [("grant_type", "password"), ("client_id", "verrazzano-pg"), ("username", "alice"), ("password", "wonderland")])
            }
            #expect(pg.status == 200)
            let pkce = try await withHTTP { http in
                try await http.postForm(
                    issuer.issuer + "/protocol/openid-connect/token",
                    [("grant_type", "password"), ("client_id", "verrazzano-pkce"), ("username", "alice"), ("password", "wonderland")])
            }
            #expect(pkce.status == 200)
            issuer.endSessions(of: "alice")
            let body = try #require(await receiver.next())
            #expect(body.hasPrefix("logout_token="))
            #expect(await receiver.next(timeout: .milliseconds(300)) == nil)
        }
    }

    @Test("A failed delivery is recorded (here: https to a plain HTTP receiver, with a CA file that does not exist)")
    func failureRecorded() async throws {
        let receiver = try await LogoutReceiver.start()
        defer { Task { await receiver.stop() } }
        var configuration = DevelopmentIssuer.Configuration.sandbox(
            users: DevelopmentIssuer.User.builtInUsers(passwords: ["carol": "c"]),
            backchannelLogoutURI: receiver.url.replacingOccurrences(of: "http://", with: "https://"))
        configuration.backchannelLogoutCAFile = "/nonexistent/ca.pem"
        configuration.backchannelLogoutTimeout = 0.5
        try await withIssuer(configuration) { issuer in
            let grant = try await withHTTP { http in
                try await http.postForm(
                    issuer.issuer + "/protocol/openid-connect/token",
                    [("grant_type", "password"), ("client_id", "verrazzano-pkce"), ("username", "carol"), ("password", "c")])
            }
            #expect(grant.status == 200)
            issuer.endSessions(of: "carol")
            var deliveries: [DevelopmentIssuer.BackchannelLogoutDelivery] = []
            for _ in 0..<250 where deliveries.isEmpty {
                deliveries = issuer.backchannelLogoutDeliveries
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(deliveries.count == 1)
            #expect(deliveries.first?.status == nil)
            #expect(deliveries.first?.failure?.isEmpty == false)
        }
    }
}
