import Logging
import Synchronization

/// Keeps every log line (level, message, metadata as `key=value`) for tests that check what the proxy logs.
final class LogRecorder: Sendable {
    private let recorded = Mutex<[String]>([])

    /// The lines so far, in order.
    var lines: [String] { recorded.withLock { $0 } }

    /// A logger whose lines are kept here.
    func logger() -> Logger {
        Logger(label: "test") { [self] _ in Handler(recorder: self) }
    }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
            let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            let line = (["\(event.level)", "\(event.message)"] + fields).joined(separator: " ")
            recorder.recorded.withLock { $0.append(line) }
        }
    }
}
