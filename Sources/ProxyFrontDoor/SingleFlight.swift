import Synchronization

/// Runs one operation per key at a time: callers arriving while it runs wait for the same result instead of
/// starting their own. The result (success or failure) is then remembered for a short while.
///
/// For session refresh: a console fires many requests at once with the same session cookie, and requests already
/// on their way still carry the old cookie after the refresh; with refresh-token rotation a second refresh with the
/// old token would fail and end the session. For password grants: a script's burst of requests with one Basic
/// credential makes one grant. Keys are hashes of secrets, never the secrets.
public final class SingleFlight<Value: Sendable>: Sendable {
    private enum Entry {
        case running(Task<Value, any Error>)
        case finished(Result<Value, any Error>, until: ContinuousClock.Instant)
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let retention: Duration
    private let capacity: Int

    /// Creates a single-flight group remembering results for `retention`, holding at most `capacity` keys.
    public init(retention: Duration, capacity: Int = 10_000) {
        self.retention = retention
        self.capacity = capacity
    }

    /// The result of `operation` for `key`: a remembered one, the one in progress, or a new run.
    public func run(key: String, _ operation: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let now = ContinuousClock.now
        let task: Task<Value, any Error> = entries.withLock { entries in
            switch entries[key] {
            case .running(let task)?:
                return task
            case .finished(let result, let until)? where until > now:
                return Task { try result.get() }
            default:
                if entries.count >= capacity { Self.sweep(&entries, now: now) }
                let retention = self.retention
                let task = Task<Value, any Error> { [weak self] in
                    let result = await Result { try await operation() }
                    self?.entries.withLock { $0[key] = .finished(result, until: .now + retention) }
                    return try result.get()
                }
                entries[key] = .running(task)
                return task
            }
        }
        return try await task.value
    }

    /// Forgets a finished result for `key`, so that the next caller runs the operation again (for outcomes not
    /// worth remembering, such as "the identity provider was unreachable").
    public func forget(key: String) {
        entries.withLock { entries in
            if case .finished? = entries[key] { entries[key] = nil }
        }
    }

    /// The number of keys held (running or remembered).
    public var count: Int { entries.withLock { $0.count } }

    /// Drops remembered results that have expired.
    private static func sweep(_ entries: inout [String: Entry], now: ContinuousClock.Instant) {
        entries = entries.filter { _, entry in
            if case .finished(_, let until) = entry { return until > now }
            return true
        }
        // Running operations stay: their number is bounded by the requests in flight.
    }
}

extension Result where Failure == any Error {
    /// Captures the outcome of an async throwing closure.
    fileprivate init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
