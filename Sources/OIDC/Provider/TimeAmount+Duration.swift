import NIOCore

extension TimeAmount {
    /// The same span as `duration`, in nanoseconds (saturating).
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let (nanoseconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        self = .nanoseconds(overflow ? .max : nanoseconds &+ attoseconds / 1_000_000_000)
    }
}
