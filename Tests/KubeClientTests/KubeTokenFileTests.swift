import Foundation
import KubeClient
import Testing

/// A clock tests move by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_700_000_000)

    var now: Date { self.lock.withLock { self.current } }

    func advance(_ seconds: TimeInterval) {
        self.lock.withLock { self.current += seconds }
    }
}

@Suite("Rotating token files")
struct KubeTokenFileTests {
    @Test("a rewritten token file is picked up at the next check, not on every call")
    func modificationTimeChange() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("token", "first")
        let clock = ManualClock()
        let file = try KubeTokenFile(path: path, maximumAge: 60, checkInterval: 1, now: { clock.now })
        #expect(file.currentToken() == "first")
        #expect(file.currentAuthorizationHeaderValue() == "Bearer first")

        try directory.write("token", "second")
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(5)], ofItemAtPath: path)
        #expect(file.currentToken() == "first", "within the check interval the cached token is used")
        clock.advance(1.5)
        #expect(file.currentAuthorizationHeaderValue() == "Bearer second", "the header follows the rotated token")
        #expect(file.currentToken() == "second")
    }

    @Test("a token older than the maximum age is re-read even if the modification time looks unchanged")
    func maximumAge() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("token", "first")
        let fixedDate = Date(timeIntervalSince1970: 1_600_000_000)
        try FileManager.default.setAttributes([.modificationDate: fixedDate], ofItemAtPath: path)
        let clock = ManualClock()
        let file = try KubeTokenFile(path: path, now: { clock.now })

        try directory.write("token", "rotated")
        try FileManager.default.setAttributes([.modificationDate: fixedDate], ofItemAtPath: path)
        clock.advance(30)
        #expect(file.currentToken() == "first")
        clock.advance(31)
        #expect(file.currentToken() == "rotated")
    }

    @Test("a briefly missing file keeps the last token; an empty file at start is an error")
    func missingFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("token", "kept")
        let clock = ManualClock()
        let file = try KubeTokenFile(path: path, now: { clock.now })
        try FileManager.default.removeItem(atPath: path)
        clock.advance(120)
        #expect(file.currentToken() == "kept")
        #expect(KubeCredential.tokenFile(file).authorizationHeaderValue() == "Bearer kept")

        let empty = try directory.write("empty", "\n")
        #expect(throws: KubeConfigError.unreadableFile) { try KubeTokenFile(path: empty) }
    }
}
