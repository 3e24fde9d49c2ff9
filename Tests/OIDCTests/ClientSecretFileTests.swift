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

    @Test("a mounted Secret's update (Kubernetes swaps the ..data symlink) is read, even with the same size and time")
    func symlinkSwap() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-secret-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let date = Date(timeIntervalSince1970: 1_800_000_000)
        for (version, secret) in [("..2026_12_07_a", "secret-one"), ("..2026_12_07_b", "secret-two")] {
            let folder = directory.appendingPathComponent(version)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let file = folder.appendingPathComponent("client-secret")
            try Data(secret.utf8).write(to: file)
            try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: file.path)
        }
        let data = directory.appendingPathComponent("..data")
        try FileManager.default.createSymbolicLink(atPath: data.path, withDestinationPath: "..2026_12_07_a")
        let mounted = directory.appendingPathComponent("client-secret")
        try FileManager.default.createSymbolicLink(atPath: mounted.path, withDestinationPath: "..data/client-secret")
        let file = try OIDCClientSecretFile(path: mounted.path)
        #expect(file.current().value == "secret-one")
        try FileManager.default.removeItem(at: data)
        try FileManager.default.createSymbolicLink(atPath: data.path, withDestinationPath: "..2026_12_07_b")
        #expect(file.current().value == "secret-two")
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
