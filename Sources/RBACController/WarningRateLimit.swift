/// Lets a repeated warning through at most once per ``interval``, counting the ones held back in between (so that
/// a persisting failure is logged every few seconds, not at every retry).
struct WarningRateLimit: Sendable {
    /// The least time between two warnings let through.
    var interval: Duration
    private var lastLogged: ContinuousClock.Instant?
    private var suppressed = 0

    /// A limit of one warning per `interval`.
    init(interval: Duration = .seconds(5)) {
        self.interval = interval
    }

    /// Whether a warning at `now` is logged; if it is, how many were held back since the last one.
    mutating func admit(now: ContinuousClock.Instant = .now) -> (log: Bool, suppressed: Int) {
        if let lastLogged, now - lastLogged < interval {
            suppressed += 1
            return (false, suppressed)
        }
        let held = suppressed
        lastLogged = now
        suppressed = 0
        return (true, held)
    }

    /// Forgets the last warning (after a success), so that the next failure is logged at once.
    mutating func reset() {
        lastLogged = nil
        suppressed = 0
    }
}
