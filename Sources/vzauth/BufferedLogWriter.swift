import Foundation
import Logging
import Synchronization
import TextEscaping

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
    /// How lines are formatted (for the writer's own line about dropped lines).
    let format: LogFormat
    /// How often queued lines are written out.
    static let batchInterval: TimeInterval = 0.05

    /// Starts the background writer thread.
    init(capacityBytes: Int = 4 * 1024 * 1024, format: LogFormat = .text) {
        self.capacityBytes = capacityBytes
        self.format = format
        let thread = Thread { [self] in self.drainForever() }
        thread.name = "vzauth-log-writer"
        thread.start()
    }

    /// Queues one line (a newline is added). Cheap: no system call and no thread wake-up, unless the queue is
    /// filling up; the writer thread otherwise collects lines every ``batchInterval``.
    func write(_ line: String) {
        let shouldWake = queue.withLock { queue in
            guard queue.bytes + line.utf8.count <= capacityBytes else {
                queue.dropped += 1
                return false
            }
            queue.lines.append(line)
            queue.bytes += line.utf8.count
            return queue.bytes > capacityBytes / 4 && queue.bytes - line.utf8.count <= capacityBytes / 4
        }
        if shouldWake {
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
            _ = wakeUp.wait(until: Date().addingTimeInterval(Self.batchInterval))
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
            let message = "log lines dropped: standard error was not read fast enough"
            let time = BufferedLogHandler.timestamp(), metadata: Logger.Metadata = ["dropped": "\(dropped)"]
            switch format {
            case .text:
                text.append(BufferedLogHandler.textLine(time: time, level: .warning, label: "vzauth", message: message,
                                                        metadata: metadata) + "\n")
            case .json:
                text.append(JSONLogLine.format(time: time, level: .warning, label: "vzauth", message: message,
                                               metadata: metadata) + "\n")
            }
        }
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// A swift-log handler that formats lines (`key=value` text or JSON, as the writer's ``LogFormat`` says) and hands
/// them to a ``BufferedLogWriter``.
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
        let merged: Logger.Metadata
        if let extra = event.metadata, !extra.isEmpty {
            merged = metadata.isEmpty ? extra : metadata.merging(extra) { _, new in new }
        } else {
            merged = metadata
        }
        if writer.format == .json {
            writer.write(JSONLogLine.format(time: Self.timestamp(), level: event.level, label: label,
                                            message: String(describing: event.message), metadata: merged))
            return
        }
        writer.write(Self.textLine(time: Self.timestamp(), level: event.level, label: label,
                                   message: String(describing: event.message), metadata: merged))
    }

    /// `TIME LEVEL LABEL: key=value ... message`, one line whatever the values hold: a value with spaces, quotes,
    /// `=` or control characters is a quoted JSON string; a message with control characters is escaped as inside
    /// one, so no value or message can start a line of its own or send terminal escapes.
    static func textLine(time: String, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var line = "\(time) \(level) \(label):"
        line.reserveCapacity(256)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line += " "
            line += key
            line += "="
            let text = value.description
            if text.isEmpty || text.utf8.contains(where: { $0 <= 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "=") || $0 == 0x7F }) {
                JSONStringText.append(text, to: &line)
            } else {
                line += text
            }
        }
        line += " "
        if message.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            JSONStringText.appendContents(message, to: &line)
        } else {
            line += message
        }
        return line
    }

    /// `2026-11-23T12:34:56.789Z`, formatted by hand: this runs for every log line.
    static func timestamp() -> String {
        let now = Date().timeIntervalSince1970
        var seconds = time_t(now)
        let milliseconds = Int32((now - Double(seconds)) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
        }
        return "\(parts.tm_year + 1900)-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T\(pad(parts.tm_hour, 2)):"
            + "\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(milliseconds, 3))Z"
    }
}
