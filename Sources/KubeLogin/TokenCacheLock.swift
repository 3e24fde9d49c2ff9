import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock on one cache entry (`flock` on `<entry>.lock`), held while a process refreshes or logs in, so
/// that kubectl commands run in parallel do not each open a browser or spend the same (rotating) refresh token.
///
/// The lock goes with the file descriptor: ``release()`` or the end of the process frees it.
public final class TokenCacheLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Takes the lock of `key`'s entry, trying every `retryInterval` up to `attempts` times (never blocking a
    /// thread).
    ///
    /// - Returns: The lock, or `nil` if another process held it all along (the caller goes on without it).
    /// - Throws: ``KubeLoginError`` when the lock file cannot be opened.
    public static func acquire(
        _ key: TokenCacheKey, in cache: TokenCache, attempts: Int, retryInterval: Duration = .milliseconds(100)
    ) async throws(KubeLoginError) -> TokenCacheLock? {
        try cache.createDirectory()
        let path = cache.directory.appendingPathComponent(key.fileName + ".lock").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw KubeLoginError("cannot open the token cache lock \(path): \(String(cString: strerror(errno))); check the cache directory's permissions or pass --cache-dir")
        }
        for attempt in 0..<max(attempts, 1) {
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
                return TokenCacheLock(descriptor: descriptor)
            }
            if attempt + 1 < attempts {
                try? await Task.sleep(for: retryInterval)
            }
        }
        close(descriptor)
        return nil
    }

    /// Frees the lock.
    public func release() {
        flock(self.descriptor, LOCK_UN)
        close(self.descriptor)
    }
}
