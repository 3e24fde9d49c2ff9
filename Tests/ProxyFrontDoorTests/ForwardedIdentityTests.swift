import Foundation
import OIDC
import ProxyFrontDoor
import Testing

@Suite("Front door: names that cannot travel exactly")
struct ForwardedIdentityTests {
    @Test("identities with control characters or empty names are refused, whichever way names are sent",
          arguments: [false, true])
    func unsafeIdentities(_ commaSeparated: Bool) {
        #expect(ForwardedIdentity(username: "alice", groups: ["g"]).refusal(commaSeparated: commaSeparated) == nil)
        #expect(ForwardedIdentity(username: "eve\r\nX-WEBAUTH-USER: admin", groups: []).refusal(commaSeparated: commaSeparated) != nil)
        #expect(ForwardedIdentity(username: "alice", groups: ["ok", "bad\u{0}"]).refusal(commaSeparated: commaSeparated) != nil)
        #expect(ForwardedIdentity(username: "", groups: []).refusal(commaSeparated: commaSeparated) != nil)
        #expect(ForwardedIdentity(username: "alice", groups: [], roles: ["\u{85}"]).refusal(commaSeparated: commaSeparated) != nil)
    }

    @Test("a name the receiver would see changed or split refuses the whole identity", arguments: [
        (ForwardedIdentity(username: " alice", groups: [], roles: []), .username, 1, .leadingWhitespace(" ")),
        (ForwardedIdentity(username: "alice\u{3000}", groups: [], roles: []), .username, 1, .trailingWhitespace("\u{3000}")),
        (ForwardedIdentity(username: "\u{A0}", groups: [], roles: []), .username, 1, .onlyWhitespace),
        (ForwardedIdentity(username: "alice", groups: [" admins"], roles: []), .groups, 1, .leadingWhitespace(" ")),
        (ForwardedIdentity(username: "alice", groups: ["team-a", "admins\u{2009}"], roles: []), .groups, 2, .trailingWhitespace("\u{2009}")),
        (ForwardedIdentity(username: "alice", groups: ["team-a,admins"], roles: []), .groups, 1, .comma),
        (ForwardedIdentity(username: "alice", groups: ["g"], roles: ["vz_api_access", "admin "]), .roles, 2, .trailingWhitespace(" ")),
        (ForwardedIdentity(username: "alice", groups: ["g"], roles: ["viewer,admin"]), .roles, 1, .comma),
        (ForwardedIdentity(username: "alice", groups: ["g"], roles: [""]), .roles, 1, .empty),
    ] as [(ForwardedIdentity, ForwardedIdentity.Refusal.Field, Int, IdentityName.Problem)])
    func refusedIdentities(_ identity: ForwardedIdentity, _ field: ForwardedIdentity.Refusal.Field, _ position: Int,
                           _ problem: IdentityName.Problem) {
        #expect(identity.refusal(commaSeparated: true) == ForwardedIdentity.Refusal(field: field, position: position, problem: problem))
    }

    @Test("one header per name lets commas travel; white space inside a name travels either way")
    func commasAndInnerWhiteSpace() {
        let identity = ForwardedIdentity(username: "Jane Doe", groups: ["team a", "a,b"], roles: ["viewer,admin"])
        #expect(identity.refusal(commaSeparated: false) == nil)
        #expect(identity.refusal(commaSeparated: true) == ForwardedIdentity.Refusal(field: .groups, position: 2, problem: .comma))
    }

    @Test("a verified identity's roles are checked only where the proxy sends them")
    func rolesOnlyWhenSent() {
        let identity = Identity(username: "alice", groups: ["g"], roles: ["admin "], expiresAt: .distantFuture, subject: nil)
        #expect(ForwardedIdentity(identity, withRoles: false).refusal(commaSeparated: false) == nil)
        #expect(ForwardedIdentity(identity, withRoles: true).refusal(commaSeparated: false)?.field == .roles)
    }

    @Test("a refusal names the configured claim and why, never the name")
    func refusalExplanation() throws {
        let mapping = ClaimMapping(usernameClaim: "preferred_username")
        let group = try #require(ForwardedIdentity(username: "alice", groups: ["ok", "a,b"]).refusal(commaSeparated: true))
        #expect(group.claim(in: mapping) == "groups")
        #expect(group.explanation(in: mapping) == "group 2 of the groups claim contains a comma, and names are sent comma-separated")
        let user = try #require(ForwardedIdentity(username: " alice", groups: []).refusal(commaSeparated: true))
        #expect(user.explanation(in: mapping) == "the preferred_username claim begins with the white-space character U+0020")
        let role = try #require(ForwardedIdentity(username: "alice", groups: [], roles: ["\u{2028}x"]).refusal(commaSeparated: true))
        #expect(role.explanation(in: mapping) == "role 1 of the realm_access.roles claim begins with the white-space character U+2028")
    }
}
