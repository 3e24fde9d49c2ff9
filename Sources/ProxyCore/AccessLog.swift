public import Logging
import NIOHTTP1

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

    func record(method: HTTPMethod, uri: String, status: Int, user: String?, remote: String?, duration: Duration,
                reason: String?) {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        var metadata: Logger.Metadata = [
            "method": "\(method.rawValue)",
            "path": "\(path)",
            "status": "\(status)",
            "duration_ms": "\(Double(duration.components.attoseconds / 1_000_000_000_000) / 1000 + Double(duration.components.seconds) * 1000)",
        ]
        if let user { metadata["user"] = "\(user)" }
        if let remote { metadata["remote"] = "\(remote)" }
        if let reason { metadata["reason"] = "\(reason)" }
        logger.info("request", metadata: metadata)
    }
}
