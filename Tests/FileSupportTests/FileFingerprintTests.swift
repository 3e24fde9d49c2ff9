import FileSupport
import Foundation
import Testing

@Suite("File fingerprints")
struct FileFingerprintTests {
    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-fingerprint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("an unchanged file keeps its fingerprint; a new size or modification time changes it")
    func changes() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("secret")
        try Data("one".utf8).write(to: file)
        let first = FileFingerprint(path: file.path)
        #expect(FileFingerprint(path: file.path) == first)
        #expect("\(first)".hasPrefix(file.resolvingSymlinksInPath().path + "@"))
        #expect("\(first)".hasSuffix("/3"))

        try Data("three".utf8).write(to: file)
        let resized = FileFingerprint(path: file.path)
        #expect(resized != first)

        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000)], ofItemAtPath: file.path)
        #expect(FileFingerprint(path: file.path) != resized)
    }

    @Test("a missing file is `missing`, and its appearance is a change")
    func missing() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("later")
        #expect(FileFingerprint(path: file.path) == .missing)
        #expect("\(FileFingerprint.missing)" == "missing")
        try Data("x".utf8).write(to: file)
        #expect(FileFingerprint(path: file.path) != .missing)
    }

    @Test("Kubernetes' symlink swap changes the fingerprint even when time and size stay the same")
    func symlinkSwap() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let date = Date(timeIntervalSince1970: 2_000_000)
        for version in ["v1", "v2"] {
            let folder = directory.appendingPathComponent(version)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let file = folder.appendingPathComponent("tls.crt")
            try Data("same".utf8).write(to: file)
            try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: file.path)
        }
        let data = directory.appendingPathComponent("..data")
        try FileManager.default.createSymbolicLink(atPath: data.path, withDestinationPath: "v1")
        let mounted = directory.appendingPathComponent("tls.crt")
        try FileManager.default.createSymbolicLink(atPath: mounted.path, withDestinationPath: "..data/tls.crt")
        let before = FileFingerprint(path: mounted.path)
        #expect(before != .missing)

        try FileManager.default.removeItem(at: data)
        try FileManager.default.createSymbolicLink(atPath: data.path, withDestinationPath: "v2")
        #expect(FileFingerprint(path: mounted.path) != before)
    }
}
