import Foundation
import OIDC
import Testing
import VZAuthTestSupport

/// Every scalar with the Unicode `White_Space` property.
private let whiteSpaceScalars: [Unicode.Scalar] = (0...0x10FFFF).compactMap(Unicode.Scalar.init).filter(\.properties.isWhitespace)

/// The C0 controls, DEL and the C1 controls.
private let controlScalars: [Unicode.Scalar] = (Array(0...0x1F) + Array(0x7F...0x9F)).compactMap(Unicode.Scalar.init)

@Suite("Identity names: one rule for every name sent in a header")
struct IdentityNameTests {
    @Test("the White_Space set is the one the rule documents")
    func whiteSpaceSet() {
        let expected: [UInt32] = [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680] + Array(0x2000...0x200A)
            + [0x2028, 0x2029, 0x202F, 0x205F, 0x3000]
        #expect(whiteSpaceScalars.map(\.value) == expected)
    }

    @Test("a white-space character at the start is refused", arguments: whiteSpaceScalars)
    func leading(_ scalar: Unicode.Scalar) {
        let problem = IdentityName.problem(String(scalar) + "system:masters")
        #expect(problem != nil)
        if !Self.isControl(scalar) {
            #expect(problem == .leadingWhitespace(scalar))
        }
    }

    @Test("a white-space character at the end is refused", arguments: whiteSpaceScalars)
    func trailing(_ scalar: Unicode.Scalar) {
        let problem = IdentityName.problem("dave" + String(scalar))
        #expect(problem != nil)
        if !Self.isControl(scalar) {
            #expect(problem == .trailingWhitespace(scalar))
        }
    }

    @Test("white space that is not a control character is allowed inside a name", arguments: whiteSpaceScalars)
    func inside(_ scalar: Unicode.Scalar) {
        let problem = IdentityName.problem("Jane" + String(scalar) + "Doe")
        #expect(problem == (Self.isControl(scalar) ? .controlCharacter(scalar) : nil))
    }

    @Test("a control character anywhere is refused", arguments: controlScalars)
    func control(_ scalar: Unicode.Scalar) {
        for name in [String(scalar) + "alice", "al" + String(scalar) + "ice", "alice" + String(scalar)] {
            #expect(IdentityName.problem(name) == .controlCharacter(scalar))
        }
    }

    @Test("empty and blank names are refused", arguments: [
        ("", IdentityName.Problem.empty),
        (" ", .onlyWhitespace),
        ("   ", .onlyWhitespace),
        ("\u{A0}", .onlyWhitespace),
        ("\u{3000}\u{2003}", .onlyWhitespace),
        ("\t", .controlCharacter("\t")),
    ] as [(String, IdentityName.Problem)])
    func blank(_ name: String, _ expected: IdentityName.Problem) {
        #expect(IdentityName.problem(name) == expected)
    }

    @Test("ordinary names pass", arguments: [
        "alice", "Jane Doe", "system:masters", "a,b", "José Ünïcode", "8f0e6c1e-3b7a-4d4f-9b1a-5c2d7e9f0a11",
        "alice@example.com", "日本語", "x",
    ])
    func accepted(_ name: String) {
        #expect(IdentityName.problem(name) == nil)
    }

    @Test("a comma is refused only where names are sent comma-separated")
    func comma() {
        #expect(IdentityName.problem("team-a,team-b") == nil)
        #expect(IdentityName.problem("team-a,team-b", commaSeparated: true) == .comma)
        #expect(IdentityName.problem(",", commaSeparated: true) == .comma)
        #expect(IdentityName.problem("team-a", commaSeparated: true) == nil)
        #expect(IdentityName.problem(" team-a", commaSeparated: true) == .leadingWhitespace(" "))
    }

    @Test("NBSP and the ideographic space around a name")
    func nonASCIIBlanks() {
        #expect(IdentityName.problem("\u{A0}dave") == .leadingWhitespace("\u{A0}"))
        #expect(IdentityName.problem("dave\u{3000}") == .trailingWhitespace("\u{3000}"))
        #expect(IdentityName.problem("\u{85}dave") == .controlCharacter("\u{85}"))
    }

    @Test("system:masters is a valid name; the system: check sees the exact bytes")
    func systemPrefix() {
        #expect(IdentityName.problem("system:masters") == nil)
        #expect(IdentityName.hasSystemPrefix("system:masters"))
        #expect(IdentityName.problem(" system:masters") == .leadingWhitespace(" "))
        #expect(!IdentityName.hasSystemPrefix(" system:masters"))
        #expect(!IdentityName.hasSystemPrefix("System:masters"))
        // A combining accent after the colon: String.hasPrefix says no, the bytes sent begin with system:.
        #expect(!"system:\u{301}masters".hasPrefix("system:"))
        #expect(IdentityName.hasSystemPrefix("system:\u{301}masters"))
    }

    @Test("names compare byte for byte, not by canonical equivalence")
    func sameness() {
        #expect("\u{212A}ube-admin" == "Kube-admin")
        #expect(!IdentityName.isSame("\u{212A}ube-admin", "Kube-admin"))
        #expect(IdentityName.isSame("vz_api_access", "vz_api_access"))
        #expect(!IdentityName.isSame("caf\u{E9}", "cafe\u{301}"))
    }

    @Test("descriptions say why, with the character's code, never the name")
    func descriptions() {
        #expect(IdentityName.Problem.leadingWhitespace(" ").description == "begins with the white-space character U+0020")
        #expect(IdentityName.Problem.trailingWhitespace("\u{3000}").description == "ends with the white-space character U+3000")
        #expect(IdentityName.Problem.controlCharacter("\u{85}").description == "contains the control character U+0085")
        #expect(IdentityName.Problem.empty.description == "is empty")
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}

/// One token whose names cannot travel exactly: the mapping, the claims, the expected error and message.
struct UnsendableNameToken: Sendable, CustomTestStringConvertible {
    let name: String
    let mapping: ClaimMapping
    let changes: [String: TokenJSON]
    let error: OIDCError
    let message: String

    var testDescription: String { name }
}

private let preferredUsername = ClaimMapping(usernameClaim: "preferred_username")

private let unsendableNameTokens: [UnsendableNameToken] = [
    UnsendableNameToken(name: "sub \" system:admin\"", mapping: ClaimMapping(), changes: ["sub": " system:admin"],
                        error: .invalidUsername, message: "the sub claim begins with the white-space character U+0020"),
    UnsendableNameToken(name: "sub \"dave \"", mapping: ClaimMapping(), changes: ["sub": "dave "],
                        error: .invalidUsername, message: "the sub claim ends with the white-space character U+0020"),
    UnsendableNameToken(name: "sub \"system:admin\\t\"", mapping: ClaimMapping(), changes: ["sub": "system:admin\t"],
                        error: .invalidUsername, message: "the sub claim contains the control character U+0009"),
    UnsendableNameToken(name: "sub NBSP only", mapping: ClaimMapping(), changes: ["sub": "\u{A0}"],
                        error: .invalidUsername, message: "the sub claim is only white space"),
    UnsendableNameToken(name: "sub empty", mapping: ClaimMapping(), changes: ["sub": ""],
                        error: .invalidUsername, message: "the sub claim is empty"),
    UnsendableNameToken(name: "groups [\" system:masters\"]", mapping: ClaimMapping(), changes: ["groups": [" system:masters"]],
                        error: .invalidGroups, message: "group 1 of the groups claim begins with the white-space character U+0020"),
    UnsendableNameToken(name: "second group ends with U+3000", mapping: ClaimMapping(),
                        changes: ["groups": ["verrazzano-users", "admins\u{3000}"]],
                        error: .invalidGroups, message: "group 2 of the groups claim ends with the white-space character U+3000"),
    UnsendableNameToken(name: "groups as one string \"\\u{2003}admins\"", mapping: ClaimMapping(), changes: ["groups": "\u{2003}admins"],
                        error: .invalidGroups, message: "group 1 of the groups claim begins with the white-space character U+2003"),
    UnsendableNameToken(name: "preferred_username \" alice\"", mapping: preferredUsername, changes: ["preferred_username": " alice"],
                        error: .invalidUsername, message: "the preferred_username claim begins with the white-space character U+0020"),
    UnsendableNameToken(name: "preferred_username \"alice\\u{A0}\"", mapping: preferredUsername,
                        changes: ["preferred_username": "alice\u{A0}"],
                        error: .invalidUsername, message: "the preferred_username claim ends with the white-space character U+00A0"),
    UnsendableNameToken(name: "email \"alice@example.com \"", mapping: ClaimMapping(usernameClaim: "email"),
                        changes: ["email": "alice@example.com "],
                        error: .invalidUsername, message: "the email claim ends with the white-space character U+0020"),
    UnsendableNameToken(name: "group system: then a combining accent", mapping: ClaimMapping(),
                        changes: ["groups": ["system:\u{301}masters"]],
                        error: .forbiddenName, message: "a group has the reserved prefix system:"),
    UnsendableNameToken(name: "required role matched only by canonical equivalence",
                        mapping: ClaimMapping(requiredRole: "Kube-admin"),
                        changes: ["realm_access": ["roles": ["\u{212A}ube-admin"]]],
                        error: .missingRole, message: "required role missing"),
]

@Suite("Tokens whose names cannot travel exactly")
struct UnsendableNameTokenTests {
    @Test("the token is refused with the name's claim and why", arguments: unsendableNameTokens)
    func refused(_ case: UnsendableNameToken) async {
        let authenticator = Fixture.authenticator(mapping: `case`.mapping)
        let token = Fixture.token(`case`.changes)
        do {
            let identity = try await authenticator.authenticate(token)
            Issue.record("accepted as \(identity.username) in \(identity.groups)")
        } catch {
            #expect(error == `case`.error)
            #expect(error.message == `case`.message)
            #expect(error.httpStatus == (`case`.error == .missingRole ? 403 : 401))
        }
        #expect(authenticator.cachedTokenCount == 0)
    }

    @Test("white space inside names, commas in groups and odd role names are accepted (sent as they are)")
    func accepted() async throws {
        let identity = try await Fixture.authenticator(mapping: preferredUsername).authenticate(Fixture.token([
            "preferred_username": "Jane Doe", "groups": ["team a", "a,b"],
            "realm_access": ["roles": ["vz_api_access", " padded "]],
        ]))
        #expect(identity.username == "Jane Doe")
        #expect(identity.groups == ["team a", "a,b"])
        #expect(identity.roles == ["vz_api_access", " padded "])
    }
}
