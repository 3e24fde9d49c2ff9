/// Exponential backoff: ``initial``, then twice the previous delay, at most ``maximum``, with up to 20% jitter
/// so that replicas and watches do not retry in lock step.
public struct Backoff: Sendable, Hashable {
    /// The first delay.
    public var initial: Duration
    /// The largest delay.
    public var maximum: Duration
    private var failures = 0

    /// Creates a backoff.
    public init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The delay before the next attempt, counting one more failure.
    public mutating func next() -> Duration {
        let exponent = min(self.failures, 30)
        self.failures += 1
        var delay = self.initial * (1 << exponent)
        if delay > self.maximum || delay < .zero { delay = self.maximum }
        let jitter = Double.random(in: 0...0.2)
        return delay + delay * jitter
    }

    /// Forgets past failures after a success.
    public mutating func reset() {
        self.failures = 0
    }

    /// How many failures in a row were counted.
    public var consecutiveFailures: Int { self.failures }
}
