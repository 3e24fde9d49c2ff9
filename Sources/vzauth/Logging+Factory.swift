import Logging

/// Where the process's logs go: structured `key=value` lines or JSON lines (``LogFormat``) on standard error,
/// written by a background thread so that event loops never block on logging. No process-wide logging bootstrap is
/// touched.
struct LogOutput {
    private let writer: BufferedLogWriter

    /// Logs written in `format`.
    init(format: LogFormat = .text) {
        writer = BufferedLogWriter(format: format)
    }

    /// A logger with `label` at `level`.
    func logger(label: String, level: Logger.Level) -> Logger {
        var logger = Logger(label: label) { [writer] label in BufferedLogHandler(label: label, writer: writer) }
        logger.logLevel = level
        return logger
    }

    /// Writes out everything queued (before the process exits).
    func flush() {
        writer.flush()
    }
}
