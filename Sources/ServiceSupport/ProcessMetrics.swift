#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The standard Prometheus process metrics (`process_cpu_seconds_total`, `process_resident_memory_bytes`,
/// `process_open_fds`, `process_max_fds`, `process_start_time_seconds`), read from `/proc/self` when `/metrics` is
/// scraped, with the same meaning as Prometheus' own process collector. Elsewhere than Linux only
/// `process_max_fds` is known.
///
/// The reads are of `/proc`, which the kernel answers from memory: they do not wait on a disk.
public struct ProcessMetrics: Sendable {
    /// The metric names this writes (on Linux).
    public static let names = ["process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
                               "process_max_fds", "process_start_time_seconds"]

    /// Reads the process's figures (from `/proc/self` on Linux).
    public init() {}

    /// Appends the metrics, in the Prometheus text format, to `bytes`.
    public func emit(into bytes: inout [UInt8]) {
        var text = ""
        #if os(Linux)
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        if let stat = Self.readFile("/proc/self/stat"), let fields = Self.statFields(stat), fields.count > 21, ticks > 0 {
            // Fields after the command name, numbered from 3 (state): utime 14, stime 15, starttime 22, rss 24.
            if let user = Double(fields[11]), let system = Double(fields[12]) {
                text += Self.sample("process_cpu_seconds_total", type: "counter",
                                    help: "Total user and system CPU time spent in seconds.", value: (user + system) / ticks)
            }
            if let pages = Double(fields[21]) {
                text += Self.sample("process_resident_memory_bytes", type: "gauge", help: "Resident memory size in bytes.",
                                    value: pages * Double(sysconf(Int32(_SC_PAGESIZE))))
            }
            if let started = Double(fields[19]), let bootTime = Self.bootTime() {
                text += Self.sample("process_start_time_seconds", type: "gauge",
                                    help: "Start time of the process since unix epoch in seconds.",
                                    value: bootTime + started / ticks)
            }
        }
        if let open = Self.countEntries("/proc/self/fd") {
            text += Self.sample("process_open_fds", type: "gauge", help: "Number of open file descriptors.", value: Double(open))
        }
        #endif
        if let limit = Self.openFileLimit() {
            text += Self.sample("process_max_fds", type: "gauge", help: "Maximum number of open file descriptors.",
                                value: Double(limit))
        }
        bytes.append(contentsOf: Array(text.utf8))
    }

    /// The process's limit of open file descriptors (the soft `RLIMIT_NOFILE`), if it can be read.
    public static func openFileLimit() -> UInt64? {
        var limit = rlimit()
        #if os(Linux)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0 else { return nil }
        return UInt64(limit.rlim_cur)
    }

    private static func sample(_ name: String, type: String, help: String, value: Double) -> String {
        let number = value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        return "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(number)\n"
    }

    /// The fields of `/proc/self/stat` after the command name (which may hold spaces and parentheses).
    public static func statFields(_ stat: String) -> [Substring]? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
    }

    #if os(Linux)
    /// When the machine booted, in seconds since the epoch (`btime` in `/proc/stat`).
    private static func bootTime() -> Double? {
        guard let stat = readFile("/proc/stat") else { return nil }
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).drop(while: { $0 == " " }))
        }
        return nil
    }

    /// A small file's text, read to its end (files in `/proc` report no size).
    private static func readFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 { if errno == EINTR { continue } else { return nil } }
            if count == 0 { break }
            result.append(contentsOf: buffer[..<count])
            if result.count > 1 << 20 { break }
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// The entries of a folder, without `.` and `..` (for `/proc/self/fd`: one of them is the listing's own).
    private static func countEntries(_ path: String) -> Int? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var count = 0
        // The name is read in place, up to its NUL: `entry.pointee.d_name` would copy all 256 bytes of the field,
        // past the end of a short record, and crash when the record ends before an unmapped page (the bug of
        // Foundation's Process.run(), swift-corelibs-foundation#5472).
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        while let entry = readdir(directory) {
            let name = UnsafeRawPointer(entry).advanced(by: nameOffset).assumingMemoryBound(to: CChar.self)
            if strcmp(name, ".") == 0 || strcmp(name, "..") == 0 { continue }
            count += 1
        }
        return count
    }
    #endif
}
