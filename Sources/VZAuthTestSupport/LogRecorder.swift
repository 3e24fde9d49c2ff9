public import Logging
import Synchronization

/// Keeps every log line, for tests that check what a component logs: as entries (level, message, metadata) and as
/// text lines (`level message key=value ...`, metadata sorted by key).
public final class LogRecorder: Sendable {
    /// One log line.
    public struct Entry: Sendable {
        public var level: Logger.Level
        public var message: String
        /// The logger's metadata merged with the line's.
        public var metadata: Logger.Metadata
    }

    private let recorded = Mutex<[Entry]>([])

    /// Records nothing yet.
    public init() {}

    /// The lines so far, in order.
    public var entries: [Entry] { recorded.withLock { $0 } }

    /// The lines so far as text: level, message, then the metadata as `key=value`, sorted by key.
    public var lines: [String] {
        entries.map { entry in
            let fields = entry.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            return (["\(entry.level)", entry.message] + fields).joined(separator: " ")
        }
    }

    /// A logger (level trace) whose lines are kept here.
    public func logger() -> Logger {
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
            recorder.recorded.withLock { $0.append(Entry(level: event.level, message: "\(event.message)", metadata: merged)) }
        }
    }
}
