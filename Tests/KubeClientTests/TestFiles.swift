import Foundation

/// A temporary directory removed when the test is done.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        self.url = FileManager.default.temporaryDirectory
            .appendingPathComponent("kubeclient-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: self.url, withIntermediateDirectories: true)
    }

    /// Writes `text` to `name` (creating subdirectories) and returns the path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = self.url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        return file.path
    }

    func path(_ name: String) -> String { self.url.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: self.url) }
}

extension String {
    var base64: String { Data(self.utf8).base64EncodedString() }
}
