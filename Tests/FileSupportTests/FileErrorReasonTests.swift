import FileSupport
import Foundation
import Testing

@Suite("FileErrorReason: why a file could not be read, in an operator's words")
struct FileErrorReasonTests {
    private func reason(reading path: String) -> String? {
        do {
            _ = try Data(contentsOf: URL(fileURLWithPath: path))
            return nil
        } catch {
            return FileErrorReason.of(error)
        }
    }

    @Test("a missing file, a directory and a missing parent folder")
    func missingAndDirectories() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("file-read-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(reason(reading: directory.appendingPathComponent("absent").path) == "no such file")
        #expect(reason(reading: directory.path) == "is a directory, not a file")
        let file = directory.appendingPathComponent("plain")
        try Data("x".utf8).write(to: file)
        #expect(reason(reading: file.appendingPathComponent("below").path) == "a part of the path is not a directory")
    }

    @Test("text that is not UTF-8")
    func notUTF8() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("file-read-\(UUID())")
        try Data([0xFF, 0xFE, 0x00, 0xC3]).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(throws: (any Error).self) { _ = try String(contentsOfFile: file.path, encoding: .utf8) }
        do {
            _ = try String(contentsOfFile: file.path, encoding: .utf8)
        } catch {
            #expect(FileErrorReason.of(error) == "not UTF-8 text")
        }
    }

    @Test("permission denied, as the POSIX error and as Cocoa's")
    func permissionDenied() {
        #expect(FileErrorReason.of(POSIXError(.EACCES)) == "permission denied")
        let cocoa = NSError(domain: NSCocoaErrorDomain, code: CocoaError.fileReadNoPermission.rawValue,
                            userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(EACCES))])
        #expect(FileErrorReason.of(cocoa) == "permission denied")
    }

    @Test("other errors keep their own description")
    func otherErrors() {
        struct Custom: Error, CustomStringConvertible { var description: String { "custom failure" } }
        #expect(FileErrorReason.of(Custom()) == "custom failure")
        #expect(FileErrorReason.of(POSIXError(.EIO)) == "input/output error")
    }
}
