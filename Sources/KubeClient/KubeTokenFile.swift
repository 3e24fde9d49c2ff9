public import Foundation
import FileSupport

/// A bearer token kept in a file that may change at any time, such as a projected service-account token.
///
/// ``currentToken()`` is cheap: it returns the cached token under a lock. At most once per `checkInterval` it
/// looks at the file's modification time, and it reads the file again when that time changed or when the cached
/// token is older than `maximumAge`. When a re-read fails (the kubelet replaces the file atomically, but a
/// file can briefly be missing) the previous token is kept.
///
/// - Important: The token is never logged or included in an error.
public final class KubeTokenFile: @unchecked Sendable {
    private struct State {
        var token: String? {
            didSet { self.authorizationHeaderValue = self.token.map { "Bearer \($0)" } }
        }
        /// `Bearer <token>`, made once per token rather than once per request.
        var authorizationHeaderValue: String?
        var readAt: Date
        var checkedAt: Date
        var modificationDate: Date?
    }

    /// The path of the token file.
    public let path: String
    /// How long a token read from the file is used before the file is read again regardless of its modification time.
    public let maximumAge: TimeInterval
    /// How often, at most, the file's modification time is checked.
    public let checkInterval: TimeInterval

    private let now: @Sendable () -> Date
    private let lock = NSLock()
    private var state: State

    /// Reads the token file once.
    ///
    /// - Parameters:
    ///   - path: The file holding the token (surrounding whitespace is ignored).
    ///   - maximumAge: Re-read the file when the cached token is at least this old (seconds). Default 60.
    ///   - checkInterval: Check the modification time at most this often (seconds). Default 1.
    ///   - now: The clock, injectable for tests.
    /// - Throws: ``KubeConfigError/unreadableFile`` when the file cannot be read or is empty.
    public init(
        path: String,
        maximumAge: TimeInterval = 60,
        checkInterval: TimeInterval = 1,
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        self.path = path
        self.maximumAge = maximumAge
        self.checkInterval = checkInterval
        self.now = now
        let (token, modificationDate) = try Self.read(path)
        let readAt = now()
        self.state = State(token: nil, readAt: readAt, checkedAt: readAt, modificationDate: modificationDate)
        self.state.token = token
    }

    /// The current token, re-reading the file if it changed or the cached token is too old.
    public func currentToken() -> String? {
        self.lock.lock()
        defer { self.lock.unlock() }
        self.refreshIfDue()
        return self.state.token
    }

    /// `Bearer <current token>`, as ``currentToken()`` but without making the string on every call.
    public func currentAuthorizationHeaderValue() -> String? {
        self.lock.lock()
        defer { self.lock.unlock() }
        self.refreshIfDue()
        return self.state.authorizationHeaderValue
    }

    /// Re-reads the file if it changed or the cached token is too old; the caller holds the lock.
    private func refreshIfDue() {
        let now = self.now()
        guard now.timeIntervalSince(self.state.checkedAt) >= self.checkInterval else {
            return
        }
        self.state.checkedAt = now
        let modificationDate = Self.modificationDate(self.path)
        let changed = modificationDate != nil && modificationDate != self.state.modificationDate
        if changed || now.timeIntervalSince(self.state.readAt) >= self.maximumAge {
            if let (token, modificationDate) = try? Self.read(self.path) {
                self.state.token = token
                self.state.modificationDate = modificationDate
                self.state.readAt = now
            }
        }
    }

    private static func modificationDate(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    private static func read(_ path: String) throws -> (String, Date?) {
        let modificationDate = Self.modificationDate(path)
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw KubeConfigError.unreadableFile(path, reason: FileErrorReason.of(error))
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            throw KubeConfigError.unreadableFile(path, reason: "the token file is empty")
        }
        return (token, modificationDate)
    }
}
