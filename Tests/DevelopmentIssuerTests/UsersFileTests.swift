import DevelopmentIssuer
import Foundation
import Testing

@Suite("Development issuer users: the YAML file and the built-in set")
struct UsersFileTests {
    @Test("A users file gives users with defaults for roles and subject")
    func valid() throws {
        let users = try DevelopmentIssuer.UsersFile.parse(yaml: """
            users:
              - username: alice
                password: wonderland
                groups: [verrazzano-admins]
                email: alice@example.com
              - username: dave
                password: "12345"
                roles: [vz_api_access, extra]
                subject: 0b6f6f1c-1111-4222-8333-944444444444
            """)
        #expect(users.count == 2)
        #expect(users[0].username == "alice")
        #expect(users[0].password == "wonderland")
        #expect(users[0].groups == ["verrazzano-admins"])
        #expect(users[0].roles == ["vz_api_access"])
        #expect(users[0].subject == DevelopmentIssuer.User.derivedSubject(for: "alice"))
        #expect(users[0].email == "alice@example.com")
        #expect(users[1].groups == [])
        #expect(users[1].roles == ["vz_api_access", "extra"])
        #expect(users[1].subject == "0b6f6f1c-1111-4222-8333-944444444444")
        #expect(users[1].password == "12345")
    }

    @Test("Refusals name the file, the line, the user and the field", arguments: [
        ("users:\n  - username: alice\n", #"users.yaml line 2: users[0] (alice): field "password" is required"#),
        ("users:\n  - username: alice\n    password: x\n    groups: admins\n",
         #"users.yaml line 4: users[0] (alice): field "groups" must be a list of strings"#),
        ("users:\n  - username: alice\n    pasword: x\n", #"users[0] (alice): unknown field "pasword""#),
        ("users:\n  - username: a\n    password: x\n  - username: a\n    password: y\n", #"username "a" appears twice"#),
        ("users: []\n", #"field "users" must be a non-empty list of users"#),
        ("people: []\n", #"unknown field "people""#),
        ("- a\n- b\n", #"expected a mapping with a "users" list"#),
        ("users:\n  - username: ''\n    password: x\n", #"users[0]: field "username" must be a non-empty string"#),
        ("users:\n  - username: bob\n    password: ~\n", #"users[0] (bob): field "password" must be a non-empty string"#),
        ("users: [\n", "not valid YAML"),
    ])
    func refused(yaml: String, message: String) {
        #expect {
            try DevelopmentIssuer.UsersFile.parse(yaml: yaml, source: "users.yaml")
        } throws: { error in
            let text = "\(error)"
            return text.contains(message) && text.hasPrefix("users.yaml")
        }
    }

    @Test("Users written to a file (0600) read back the same, generated passwords included")
    func writeAndRead() throws {
        let path = NSTemporaryDirectory() + "deviss-users-" + UUID().uuidString + ".yaml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var users = DevelopmentIssuer.User.builtInUsers()
        users[2].password = "quote: \"and\" # not a comment"
        try DevelopmentIssuer.UsersFile.write(users, path: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try DevelopmentIssuer.UsersFile.load(path: path) == users)
    }

    @Test("A missing file is refused with its path")
    func missingFile() {
        #expect {
            try DevelopmentIssuer.UsersFile.load(path: "/nonexistent/users.yaml")
        } throws: { error in
            "\(error)".hasPrefix("cannot read users file /nonexistent/users.yaml")
        }
    }

    @Test("The built-in users: alice, bob and carol with their groups, vz_api_access, stable subjects")
    func builtIn() {
        let users = DevelopmentIssuer.User.builtInUsers(passwords: ["bob": "builder"])
        #expect(users.map(\.username) == ["alice", "bob", "carol"])
        #expect(users.map(\.groups) == [["verrazzano-admins"], ["verrazzano-project-hello-monitors"], []])
        #expect(users.allSatisfy { $0.roles == ["vz_api_access"] })
        #expect(users[1].password == "builder")
        let generated = users[0].password ?? ""
        #expect(generated.count == 20 && generated != users[2].password)
        #expect(users.allSatisfy { UUID(uuidString: $0.subject) != nil })
        #expect(DevelopmentIssuer.User.builtInUsers().map(\.subject) == users.map(\.subject))
        #expect(Set(users.map(\.subject)).count == 3)
    }
}
