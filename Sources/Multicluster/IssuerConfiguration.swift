/// One accepted token issuer, an entry of the `issuers:` list of a `--config` file:
///
/// ```yaml
/// issuers:
/// - issuer: https://admin.example.com/auth/realms/verrazzano-system
///   discovery-url: http://keycloak-http.keycloak.svc.cluster.local/auth/realms/verrazzano-system
///   ca-file: /etc/vzauth/admin-ca.crt
///   client-id: [verrazzano-pkce, verrazzano-pg]
///   audience: api://vzauth
///   username-claim: sub
///   groups-claim: groups
///   roles-claim: realm_access.roles
///   required-role: vz_api_access
/// ```
///
/// List settings (`client-id`, `audience`) take a list or a single value. Claim settings left out take the proxy's
/// defaults (those of the single-issuer flags). Decoding never fails on a value it can read: what is wrong, unknown
/// keys included, is reported by ``IssuersConfiguration/validate()``, all at once.
public struct IssuerConfiguration: Decodable, Sendable, Hashable {
    /// `issuer`: the issuer URL, exactly as tokens carry it in `iss` (required).
    public var issuer: String?
    /// `discovery-url`: where to fetch the discovery document instead of `ISSUER/.well-known/openid-configuration`.
    public var discoveryURL: String?
    /// `ca-file`: a PEM file of CAs to trust for discovery and keys, instead of the system roots.
    public var caFile: String?
    /// `client-id`: client ids accepted in `azp` (or `aud`).
    public var clientIDs: [String]
    /// `audience`: extra accepted `aud` values, whatever the `azp`.
    public var audiences: [String]
    /// `username-claim`: the claim naming the user.
    public var usernameClaim: String?
    /// `groups-claim`: the claim listing the groups.
    public var groupsClaim: String?
    /// `groups-claim-delimiter`: splits a groups claim that is one string.
    public var groupsClaimDelimiter: String?
    /// `roles-claim`: the claim listing the roles, dotted for nested claims.
    public var rolesClaim: String?
    /// `required-role`: a role every user of this issuer must have (missing: 403).
    public var requiredRole: String?
    /// Keys of the entry this type does not know (reported by validation: likely typos).
    public var unknownKeys: [String]

    /// Creates an entry.
    public init(
        issuer: String?,
        discoveryURL: String? = nil,
        caFile: String? = nil,
        clientIDs: [String] = [],
        audiences: [String] = [],
        usernameClaim: String? = nil,
        groupsClaim: String? = nil,
        groupsClaimDelimiter: String? = nil,
        rolesClaim: String? = nil,
        requiredRole: String? = nil
    ) {
        self.issuer = issuer
        self.discoveryURL = discoveryURL
        self.caFile = caFile
        self.clientIDs = clientIDs
        self.audiences = audiences
        self.usernameClaim = usernameClaim
        self.groupsClaim = groupsClaim
        self.groupsClaimDelimiter = groupsClaimDelimiter
        self.rolesClaim = rolesClaim
        self.requiredRole = requiredRole
        self.unknownKeys = []
    }

    /// The keys of an entry.
    public enum Key: String, CaseIterable, Sendable {
        case issuer
        case discoveryURL = "discovery-url"
        case caFile = "ca-file"
        case clientID = "client-id"
        case audience
        case usernameClaim = "username-claim"
        case groupsClaim = "groups-claim"
        case groupsClaimDelimiter = "groups-claim-delimiter"
        case rolesClaim = "roles-claim"
        case requiredRole = "required-role"
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
        init(_ key: Key) { self.stringValue = key.rawValue }
    }

    /// Decodes an entry; a list setting may be a single value.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        func string(_ key: Key) throws -> String? {
            try container.decodeIfPresent(String.self, forKey: AnyKey(key))
        }
        func strings(_ key: Key) throws -> [String] {
            let codingKey = AnyKey(key)
            guard container.contains(codingKey), try !container.decodeNil(forKey: codingKey) else { return [] }
            if let list = try? container.decode([String].self, forKey: codingKey) { return list }
            return [try container.decode(String.self, forKey: codingKey)]
        }
        self.issuer = try string(.issuer)
        self.discoveryURL = try string(.discoveryURL)
        self.caFile = try string(.caFile)
        self.clientIDs = try strings(.clientID)
        self.audiences = try strings(.audience)
        self.usernameClaim = try string(.usernameClaim)
        self.groupsClaim = try string(.groupsClaim)
        self.groupsClaimDelimiter = try string(.groupsClaimDelimiter)
        self.rolesClaim = try string(.rolesClaim)
        self.requiredRole = try string(.requiredRole)
        let known = Set(Key.allCases.map(\.rawValue))
        self.unknownKeys = container.allKeys.map(\.stringValue).filter { !known.contains($0) }.sorted()
    }
}
