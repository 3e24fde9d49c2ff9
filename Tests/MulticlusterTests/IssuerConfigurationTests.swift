import Foundation
import Multicluster
import Testing
import Yams

@Suite("Multi-issuer configuration")
struct IssuerConfigurationTests {
    static let yaml = """
        oidc-issuer: https://ignored.example.com
        issuers:
        - issuer: https://admin.example.com/auth/realms/verrazzano-system
          discovery-url: http://keycloak-http.keycloak.svc.cluster.local/auth/realms/verrazzano-system
          ca-file: /etc/vzauth/admin-ca.crt
          client-id: [verrazzano-pkce, verrazzano-pg]
          audience: api://vzauth
          username-claim: preferred_username
          groups-claim: groups
          groups-claim-delimiter: ","
          roles-claim: realm_access.roles
          required-role: vz_api_access
        - issuer: https://ci.example.com
          client-id: ci
        """

    @Test("the issuers list decodes from YAML; list settings take one value or a list")
    func decodeYAML() throws {
        let configuration = try YAMLDecoder().decode(IssuersConfiguration.self, from: Self.yaml)
        #expect(configuration.issuers.count == 2)
        let admin = configuration.issuers[0]
        #expect(admin == IssuerConfiguration(
            issuer: "https://admin.example.com/auth/realms/verrazzano-system",
            discoveryURL: "http://keycloak-http.keycloak.svc.cluster.local/auth/realms/verrazzano-system",
            caFile: "/etc/vzauth/admin-ca.crt", clientIDs: ["verrazzano-pkce", "verrazzano-pg"], audiences: ["api://vzauth"],
            usernameClaim: "preferred_username", groupsClaim: "groups", groupsClaimDelimiter: ",",
            rolesClaim: "realm_access.roles", requiredRole: "vz_api_access"))
        #expect(configuration.issuers[1] == IssuerConfiguration(issuer: "https://ci.example.com", clientIDs: ["ci"]))
        try configuration.validate()
    }

    @Test("the issuers list decodes from JSON; a missing list is empty")
    func decodeJSON() throws {
        let json = #"{"issuers":[{"issuer":"https://a.example.com","client-id":"x","audience":["p","q"]}]}"#
        let configuration = try JSONDecoder().decode(IssuersConfiguration.self, from: Data(json.utf8))
        #expect(configuration.issuers == [IssuerConfiguration(issuer: "https://a.example.com", clientIDs: ["x"], audiences: ["p", "q"])])
        #expect(try JSONDecoder().decode(IssuersConfiguration.self, from: Data("{}".utf8)).issuers.isEmpty)
    }

    @Test("every problem is reported at once, naming the field and the fix")
    func validation() throws {
        let yaml = """
            issuers:
            - discovery-url: ftp://x
              client-ids: [a]
              ca-file: ""
            - issuer: https://a.example.com
              client-id: ["", b]
              audience: [""]
              username-claim: .sub
              groups-claim: a..b
              roles-claim: "roles."
              groups-claim-delimiter: ""
              required-role: ""
            - issuer: not a url
              client-id: c
            - issuer: https://a.example.com
              client-id: d
            """
        let configuration = try YAMLDecoder().decode(IssuersConfiguration.self, from: yaml)
        let error = #expect(throws: IssuerConfigurationError.self) { try configuration.validate() }
        let fields = error?.problems.map(\.field) ?? []
        #expect(fields == [
            "issuers[0].client-ids", "issuers[0].issuer", "issuers[0].discovery-url", "issuers[0].ca-file",
            "issuers[0].client-id",
            "issuers[1].client-id", "issuers[1].audience", "issuers[1].username-claim", "issuers[1].groups-claim",
            "issuers[1].roles-claim", "issuers[1].groups-claim-delimiter", "issuers[1].required-role",
            "issuers[2].issuer",
            "issuers[3].issuer",
        ])
        let text = error?.description ?? ""
        #expect(text.contains("issuers[0].client-ids: unknown setting; an issuer takes issuer, discovery-url, ca-file, client-id,"))
        #expect(text.contains("issuers[0].issuer: required; give the issuer URL exactly as its tokens' iss claim"))
        #expect(text.contains("issuers[0].client-id: no client id and no audience: no token would be accepted; give client-id"))
        #expect(text.contains("issuers[3].issuer: \"https://a.example.com\" is also issuers[1]; tokens are routed by their exact iss"))
    }

    @Test("an empty issuers list is a problem")
    func emptyList() {
        let error = #expect(throws: IssuerConfigurationError.self) { try IssuersConfiguration(issuers: []).validate() }
        #expect(error?.problems.map(\.field) == ["issuers"])
    }

    @Test("a value of the wrong type fails decoding")
    func wrongType() {
        #expect(throws: DecodingError.self) {
            try YAMLDecoder().decode(IssuersConfiguration.self, from: "issuers:\n- issuer: {a: b}\n")
        }
    }
}
