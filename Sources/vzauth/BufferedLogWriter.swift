import Foundation
import Logging
import Synchronization

/// Writes log lines to standard error from a background thread, so that event loops never block on the terminal
/// or a slow log collector.
///
/// Lines are queued in a bounded buffer; when it is full (the reader of standard error cannot keep up), new lines
/// are dropped and counted, and the count is reported once the writer catches up.
final class BufferedLogWriter: Sendable {
    private struct Queue {
        var lines: [String] = []
        var bytes = 0
        var dropped = 0
    }

    private let queue = Mutex(Queue())
    private let wakeUp = NSCondition()
    private let capacityBytes: Int

    /// Starts the background writer thread.
    init(capacityBytes: Int = 4 * 1024 * 1024) {
        self.capacityBytes = capacityBytes
        let thread = Thread { [self] in self.drainForever() }
        thread.name = "vzauth-log-writer"
        thread.start()
    }

    /// Queues one line (a newline is added).
    func write(_ line: String) {
        let accepted = queue.withLock { queue in
            guard queue.bytes + line.utf8.count <= capacityBytes else {
                queue.dropped += 1
                return false
            }
            queue.lines.append(line)
            queue.bytes += line.utf8.count
            return true
        }
        if accepted {
            wakeUp.lock()
            wakeUp.signal()
            wakeUp.unlock()
        }
    }

    /// Writes everything queued now (used before the process exits).
    func flush() {
        writeQueued()
    }

    private func drainForever() {
        while true {
            wakeUp.lock()
            if queue.withLock({ $0.lines.isEmpty }) {
                _ = wakeUp.wait(until: Date().addingTimeInterval(0.5))
            }
            wakeUp.unlock()
            writeQueued()
        }
    }

    private func writeQueued() {
        let (lines, dropped) = queue.withLock { queue in
            let taken = (queue.lines, queue.dropped)
            queue = Queue()
            return taken
        }
        guard !lines.isEmpty || dropped > 0 else { return }
        var text = lines.joined(separator: "\n")
        text.append("\n")
        if dropped > 0 {
            text.append("\(Date()) warning vzauth: dropped=\(dropped) log lines dropped: standard error was not read fast enough\n")
        }
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// A swift-log handler that formats `key=value` lines and hands them to a ``BufferedLogWriter``.
struct BufferedLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    private let label: String
    private let writer: BufferedLogWriter

    init(label: String, writer: BufferedLogWriter) {
        self.label = label
        self.writer = writer
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = "\(Self.timestamp()) \(event.level) \(label):"
        let merged = event.metadata.map { metadata.merging($0) { _, new in new } } ?? metadata
        for key in merged.keys.sorted() {
            line += " \(key)=\(Self.quoted("\(merged[key]!)"))"
        }
        line += " \(String(describing: event.message).replacingOccurrences(of: "\n", with: "\\n"))"
        writer.write(line)
    }

    private static func quoted(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }) else {
            return value
        }
        var escaped = "\""
        for character in value {
            switch character {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            default: escaped.append(character)
            }
        }
        return escaped + "\""
    }

    private static func timestamp() -> String {
        Date().formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(.colon))
    }
}
