import Foundation
import OIDC
import Testing

@Suite("Client secret files")
struct ClientSecretFileTests {
    private func temporaryFile(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-secret-\(UUID().uuidString)")
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test("the secret is read without surrounding white space and re-read when the file changes")
    func rereads() throws {
        let url = try temporaryFile("first-secret\n")
        defer { try? FileManager.default.removeItem(at: url) }
        let file = try OIDCClientSecretFile(path: url.path)
        #expect(file.current().value == "first-secret")
        try Data("the-second-secret".utf8).write(to: url)
        #expect(file.current().value == "the-second-secret")
        // Emptied during a rotation: the last good secret stays.
        try Data().write(to: url)
        #expect(file.current().value == "the-second-secret")
        #expect("\(file.current())" == "<redacted>")
    }

    @Test("a missing or empty file is refused at start, naming the path")
    func refused() throws {
        let empty = try temporaryFile(" \n")
        defer { try? FileManager.default.removeItem(at: empty) }
        for path in [empty.path, "/nonexistent/secret"] {
            #expect {
                _ = try OIDCClientSecretFile(path: path)
            } throws: { error in
                "\(error)".contains(path)
            }
        }
    }
}
