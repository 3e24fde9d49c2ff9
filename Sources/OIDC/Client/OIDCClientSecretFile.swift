import FileSupport
public import Foundation
import Synchronization

/// A confidential client's secret kept in a file (a mounted Kubernetes Secret), never on the command line, and
/// re-read when the file changes (modification time, size, or the target of Kubernetes' symlink swap).
///
/// Surrounding white space is dropped (a file written by `echo` ends with a newline). A file that becomes unreadable
/// or empty keeps the last good secret in use.
public final class OIDCClientSecretFile: Sendable {
    /// The file's path, as configured.
    public let path: String
    private let state: Mutex<(fingerprint: FileFingerprint, secret: OIDCClientSecret)>

    /// Why a secret file cannot be used at start.
    public struct LoadError: Error, CustomStringConvertible {
        /// What is wrong, naming the file.
        public let description: String
    }

    /// Reads the file now.
    ///
    /// - Throws: ``LoadError`` when it cannot be read or holds no secret.
    public init(path: String) throws(LoadError) {
        self.path = path
        let fingerprint = FileFingerprint(path: path)
        guard let secret = Self.read(path) else {
            throw LoadError(description: "cannot read a client secret from \(path) (missing, unreadable or empty)")
        }
        self.state = Mutex((fingerprint, secret))
    }

    /// The secret in the file now (re-read if the file changed since the last call).
    public func current() -> OIDCClientSecret {
        let fingerprint = FileFingerprint(path: path)
        return state.withLock { state in
            if state.fingerprint != fingerprint, let secret = Self.read(path) {
                state = (fingerprint, secret)
            }
            return state.secret
        }
    }

    private static func read(_ path: String) -> OIDCClientSecret? {
        guard let data = FileManager.default.contents(atPath: path),
              let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
              !text.isEmpty else { return nil }
        return OIDCClientSecret(text)
    }
}
