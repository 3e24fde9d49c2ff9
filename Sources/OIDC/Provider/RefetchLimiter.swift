/// The rule "refetch keys for an unknown `kid` at most once per interval; concurrent askers share one fetch",
/// as a value-type state machine (no I/O, no locks; the owner keeps it behind a lock).
///
/// `Waiter` is whatever the owner needs to wake a caller later (a continuation in production, anything in tests).
struct RefetchLimiter<Waiter> {
    /// What the caller must do after ``request(now:)``.
    enum RequestAction {
        /// Perform the fetch, then call ``finish(succeeded:)`` and wake the waiters it returns.
        case fetch
        /// A fetch is in flight: register with ``enqueue(_:)`` and wait for its result.
        case wait
        /// The last fetch started less than an interval ago: answer `false` at once.
        case refuse
    }

    fileprivate enum State {
        case idle(lastStart: ContinuousClock.Instant?)
        case fetching(started: ContinuousClock.Instant, waiters: [Waiter])
    }

    let interval: Duration
    private var state: State = .idle(lastStart: nil)
    /// The result of the most recent finished fetch.
    private(set) var lastResult = false

    init(interval: Duration) {
        self.interval = interval
    }

    /// Decides what a caller asking for a refetch at `now` does.
    mutating func request(now: ContinuousClock.Instant) -> RequestAction {
        switch self.state {
        case .fetching:
            return .wait
        case .idle(let lastStart?) where now < lastStart.advanced(by: self.interval):
            return .refuse
        case .idle:
            self.state = .fetching(started: now, waiters: [])
            return .fetch
        }
    }

    /// Registers a waiter for the fetch in flight. Returns the result to deliver immediately if the fetch
    /// already finished in the meantime (the waiter is then not stored).
    mutating func enqueue(_ waiter: Waiter) -> Bool? {
        switch self.state {
        case .fetching(let started, var waiters):
            waiters.append(waiter)
            self.state = .fetching(started: started, waiters: waiters)
            return nil
        case .idle:
            return self.lastResult
        }
    }

    /// Records the end of the fetch in flight and returns the waiters to wake with `succeeded`.
    mutating func finish(succeeded: Bool) -> [Waiter] {
        guard case .fetching(let started, let waiters) = self.state else {
            return []
        }
        self.state = .idle(lastStart: started)
        self.lastResult = succeeded
        return waiters
    }
}

extension RefetchLimiter: Sendable where Waiter: Sendable {}
extension RefetchLimiter.State: Sendable where Waiter: Sendable {}
