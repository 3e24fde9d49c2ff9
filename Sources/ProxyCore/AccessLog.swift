public import Logging
import NIOHTTP1
import ServiceSupport

/// Writes one structured line per finished request: who, what, outcome and how long.
///
/// Only the path is logged, never the query string (it may carry secrets such as a `token` parameter), and never
/// headers.
public struct AccessLog: Sendable {
    private let logger: Logger

    /// Creates an access log writing to `logger` at `info` level.
    public init(logger: Logger) {
        self.logger = logger
    }

    func record(_ head: RequestHead, status: Int, user: String?, remote: String?, duration: Duration, reason: String?) {
        guard logger.logLevel <= .info else { return }
        let path = head.withTargetBytes { target in
            String(decoding: target.prefix { $0 != UInt8(ascii: "?") }, as: UTF8.self)
        }
        var metadata: Logger.Metadata = [
            "method": .string(head.method.rawValue),
            "path": .string(path),
            "status": .string(String(status)),
            "duration_ms": .string(Self.milliseconds(duration)),
        ]
        if let user { metadata["user"] = .string(user) }
        if let remote { metadata["remote"] = .string(remote) }
        if let reason { metadata["reason"] = .string(reason) }
        logger.info("request", metadata: metadata)
    }

    /// `12.345` for a duration, without floating-point formatting.
    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let micros = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        let fraction = String(micros % 1000)
        return "\(micros / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
