public import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FileSupport

/// The token cache: one JSON file per ``TokenCacheKey`` in a directory (default `~/.kube/cache/vzauth`).
///
/// The directory is created with mode 0700, files are written with mode 0600 to a temporary file in the same
/// directory and renamed over the old one, so a reader sees the old or the new entry, never half of one. A file
/// that cannot be read as an entry (corrupted, truncated, another format) is ignored, and replaced at the next
/// login.
public struct TokenCache: Sendable {
    /// The directory of the cache files.
    public let directory: URL

    /// A cache in `directory`.
    public init(directory: URL) {
        self.directory = directory
    }

    /// `~/.kube/cache/vzauth`.
    public static func defaultDirectory(home: String = NSHomeDirectory()) -> URL {
        URL(fileURLWithPath: home).appendingPathComponent(".kube/cache/vzauth", isDirectory: true)
    }

    /// The file of `key`.
    public func fileURL(for key: TokenCacheKey) -> URL {
        self.directory.appendingPathComponent(key.fileName)
    }

    /// The entry of `key`; `nil` if there is none or it cannot be read.
    public func load(_ key: TokenCacheKey) -> CachedTokens? {
        guard let data = FileManager.default.contents(atPath: self.fileURL(for: key).path) else {
            return nil
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        guard let stored = try? decoder.decode(StoredEntry.self, from: data),
              stored.issuer == key.issuer, stored.clientID == key.clientID, !stored.tokens.accessToken.isEmpty
        else {
            return nil
        }
        return stored.tokens
    }

    /// Writes the entry of `key`, atomically, mode 0600 (the directory is created, mode 0700, if needed).
    ///
    /// - Throws: ``KubeLoginError`` naming the file when it cannot be written.
    public func store(_ tokens: CachedTokens, for key: TokenCacheKey) throws(KubeLoginError) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        let stored = StoredEntry(issuer: key.issuer, clientID: key.clientID, username: key.username, tokens: tokens)
        guard let data = try? encoder.encode(stored) else {
            throw KubeLoginError("cannot encode the token cache entry")
        }
        try self.createDirectory()
        let target = self.fileURL(for: key).path
        let temporary = self.directory.appendingPathComponent(".\(key.fileName).\(UInt64.random(in: 0...UInt64.max)).tmp").path
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw KubeLoginError("cannot write the token cache in \(self.directory.path): \(Self.lastError()); check its owner and permissions or pass --cache-dir")
        }
        let written = data.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let count = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += count
            }
            return fsync(descriptor) == 0
        }
        close(descriptor)
        guard written, rename(temporary, target) == 0 else {
            let reason = Self.lastError()
            unlink(temporary)
            throw KubeLoginError("cannot write the token cache file \(target): \(reason); check the disk and permissions or pass --cache-dir")
        }
    }

    /// Removes the entry of `key`.
    ///
    /// - Returns: Whether there was one.
    /// - Throws: ``KubeLoginError`` when it exists and cannot be removed.
    @discardableResult
    public func remove(_ key: TokenCacheKey) throws(KubeLoginError) -> Bool {
        let path = self.fileURL(for: key).path
        if unlink(path) == 0 {
            return true
        }
        if errno == ENOENT {
            return false
        }
        throw KubeLoginError("cannot remove the token cache file \(path): \(Self.lastError()); delete it by hand")
    }

    /// Creates the directory (mode 0700) if it does not exist.
    func createDirectory() throws(KubeLoginError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: self.directory.path, isDirectory: &isDirectory), isDirectory.boolValue {
            return
        }
        do {
            // Parents (~/.kube/cache) get the usual mode; the cache directory itself 0700.
            try FileManager.default.createDirectory(
                at: self.directory.deletingLastPathComponent(), withIntermediateDirectories: true)
            if mkdir(self.directory.path, 0o700) != 0 && errno != EEXIST {
                throw KubeLoginError("cannot create the token cache directory \(self.directory.path): \(Self.lastError())")
            }
        } catch let error as KubeLoginError {
            throw error
        } catch {
            throw KubeLoginError("cannot create the token cache directory \(self.directory.path): \(FileErrorReason.of(error)); pass --cache-dir")
        }
    }

    private static func lastError() -> String {
        String(cString: strerror(errno))
    }

    /// The file's content: the key's issuer and client (checked on load) and the tokens.
    private struct StoredEntry: Codable {
        var issuer: String
        var clientID: String
        var username: String
        var tokens: CachedTokens
    }
}
