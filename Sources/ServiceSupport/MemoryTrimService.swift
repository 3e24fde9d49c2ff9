public import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// Gives the memory that closed connections freed back to the system.
///
/// glibc's allocator keeps freed pages in its arenas (one per thread that allocated) for reuse, so after ten
/// thousand watches close, the resident size stays where it peaked. Every `interval` this asks it to return free
/// pages (`malloc_trim(0)`: the top of each heap, and whole free pages inside it through `madvise`). The call walks
/// the free lists, which takes well under a millisecond at the sizes a proxy reaches. Elsewhere than glibc it does
/// nothing.
///
/// Measured with `benchmarks/watches.sh`.
public struct MemoryTrimService: Service {
    private let interval: Duration

    /// Creates the service (default: every 30 s).
    public init(interval: Duration = .seconds(30)) {
        self.interval = interval
    }

    public func run() async throws {
        await repeatUntilShutdown(every: interval) {
            _ = Self.mallocTrim?(0)
        }
    }

    /// glibc's `malloc_trim`, looked up at run time (the Glibc module does not import `malloc.h`); `nil` where the
    /// C library has none.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        #else
        return nil
        #endif
    }()
}
