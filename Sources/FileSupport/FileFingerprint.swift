import Foundation

/// What a watched file looks like from outside: the path it resolves to, its modification time and its size.
///
/// A file re-read when it changes (a TLS certificate, a client secret) is compared by fingerprint, which is cheap:
/// one `stat` and no read. Every way a file is rotated changes it: rewriting it in place (time, usually size), and
/// Kubernetes' update of a mounted Secret, which writes a new directory and swaps the `..data` symlink to it (the
/// resolved path). Reading the whole file only when the fingerprint changed keeps a frequent check cheap.
///
/// A missing or unreadable file has the fingerprint ``missing``, so a file that appears is a change too.
///
/// - Important: Two writes of the same size within the file system's time resolution look the same. Rotations
///   replace a file at most every few seconds, which is far coarser than the resolution of the usual file systems.
public struct FileFingerprint: Sendable, Hashable, CustomStringConvertible {
    private enum Storage: Sendable, Hashable {
        case missing
        case present(resolvedPath: String, modified: TimeInterval, size: Int)
    }

    private let storage: Storage

    /// The fingerprint of a file that cannot be examined (missing, or its attributes unreadable).
    public static let missing = FileFingerprint(storage: .missing)

    private init(storage: Storage) {
        self.storage = storage
    }

    /// Examines the file at `path` now, following symbolic links.
    public init(path: String) {
        // `URL.resolvingSymlinksInPath()` (realpath), not `NSString.resolvingSymlinksInPath`: on Linux the latter
        // leaves relative links such as Kubernetes' `tls.crt -> ..data/tls.crt` unresolved, and the attributes
        // read are the link's own, which no rotation changes.
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: resolved) else {
            self = .missing
            return
        }
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let size = (attributes[.size] as? NSNumber)?.intValue ?? -1
        self.init(storage: .present(resolvedPath: resolved, modified: modified, size: size))
    }

    /// `RESOLVED-PATH@MODIFIED/SIZE` (seconds since 1970, bytes), or `missing`.
    public var description: String {
        switch self.storage {
        case .missing:
            return "missing"
        case .present(let resolvedPath, let modified, let size):
            return "\(resolvedPath)@\(modified)/\(size)"
        }
    }
}
