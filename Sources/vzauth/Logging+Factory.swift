import Logging

/// A logger writing structured `key=value` lines to standard error, without touching the process-wide
/// logging bootstrap.
func makeLogger(label: String, level: Logger.Level) -> Logger {
    var logger = Logger(label: label) { label in StreamLogHandler.standardError(label: label) }
    logger.logLevel = level
    return logger
}
