import Foundation
import Logging
import NIOCore
import NIOSSL
import ProxyCore
import ServiceSupport

/// What every serving subcommand shares: its two listeners, TLS files, shutdown grace, threads, log level and format.
struct ServerSettings: Sendable {
    var listen: ListenerConfiguration
    var management: ListenerConfiguration
    var shutdownGracePeriod: Duration
    /// How long connections and the upstream may wait (``ForwardingTimeouts``).
    var timeouts: ForwardingTimeouts
    var logLevel: Logger.Level
    var logFormat: LogFormat = .text
    var eventLoopThreads: Int?

    /// The config file keys these settings use.
    static let settingNames: Set<String> = [
        "listen", "management-listen", "tls-cert-file", "tls-private-key-file", "shutdown-grace-period",
        "max-connections", "request-header-timeout", "idle-timeout", "upstream-response-header-timeout", "event-loop-threads", "log-level",
        "log-format",
    ]

    /// Merges `flags` over `file` and the defaults; adds what is wrong to `problems` (then the result is `nil`).
    static func resolve<Help>(_ flags: ServerOptions<Help>, file: inout ConfigFile,
                              problems: inout [String]) -> ServerSettings? {
        let before = problems.count
        let (listenHost, listenPort) = address(flags.listen, key: "listen", default: "0.0.0.0:8775", file: &file,
                                               problems: &problems)
        let (managementHost, managementPort) = address(flags.managementListen, key: "management-listen",
                                                       default: "0.0.0.0:8776", file: &file, problems: &problems)

        let certFile = flags.tlsCertFile ?? file.string("tls-cert-file")
        let keyFile = flags.tlsPrivateKeyFile ?? file.string("tls-private-key-file")
        var tls: TLSFiles?
        switch (certFile, keyFile) {
        case (let cert?, let key?):
            SettingChecks.checkServingPair(certificate: cert, key: key, into: &problems)
            tls = TLSFiles(certificateChainPath: cert, privateKeyPath: key)
        case (nil, nil):
            tls = nil
        default:
            problems.append("--tls-cert-file and --tls-private-key-file go together")
        }

        let grace = flags.shutdownGracePeriod ?? file.double("shutdown-grace-period") ?? 20
        if !(0...3600).contains(grace) { problems.append("--shutdown-grace-period must be between 0 and 3600 seconds") }
        let maxConnections = flags.maxConnections
            ?? file.double("max-connections").map { $0.isFinite && abs($0) < 1e12 ? Int($0) : Int.max }
            ?? defaultMaximumConnections()
        if !(1...10_000_000).contains(maxConnections) { problems.append("--max-connections must be between 1 and 10000000") }
        let requestHead = seconds(flags.requestHeaderTimeout, key: "request-header-timeout", default: 30, file: &file,
                                  problems: &problems)
        let idle = seconds(flags.idleTimeout, key: "idle-timeout", default: 120, file: &file, problems: &problems)
        let responseHead = seconds(flags.upstreamResponseHeaderTimeout, key: "upstream-response-header-timeout",
                                   default: 60, file: &file, problems: &problems)
        let level = logLevel(flags.logLevel, file: &file, problems: &problems)
        let format = LogFormat.resolve(flags.logFormat, file: &file, problems: &problems)
        // A file's number is read as a Double; one Int cannot hold (1e300, nan) is out of range, not a crash.
        let threads = flags.eventLoopThreads
            ?? file.double("event-loop-threads").map { $0.isFinite && abs($0) < 1e9 ? Int($0) : Int.max }
        if let threads, !(1...256).contains(threads) { problems.append("--event-loop-threads must be between 1 and 256") }

        checkDistinct(listen: (listenHost, listenPort), management: (managementHost, managementPort), problems: &problems)
        guard problems.count == before, let level, let format else { return nil }
        return ServerSettings(
            listen: ListenerConfiguration(host: listenHost, port: listenPort, tls: tls, maximumConnections: maxConnections),
            management: ListenerConfiguration(host: managementHost, port: managementPort),
            shutdownGracePeriod: .milliseconds(Int(grace * 1000)),
            timeouts: ForwardingTimeouts(idle: idle, requestHead: requestHead, responseHead: responseHead),
            logLevel: level, logFormat: format, eventLoopThreads: threads)
    }

    /// Adds a problem when the two listeners would bind the same port on overlapping addresses (caught here rather
    /// than as a failure to bind the second).
    static func checkDistinct(listen: (host: String, port: Int), management: (host: String, port: Int),
                              problems: inout [String]) {
        let wildcards: Set<String> = ["0.0.0.0", "::", "*"]
        guard listen.port != 0, listen.port == management.port,
              listen.host == management.host || wildcards.contains(listen.host) || wildcards.contains(management.host)
        else { return }
        problems.append("--listen and --management-listen both use port \(listen.port); give each its own port")
    }

    /// Half the process's open-file limit, less a reserve for the listeners, files and the issuer's connections: a
    /// client connection can hold an upstream connection too. At least 64.
    static func defaultMaximumConnections() -> Int {
        guard let limit = ProcessMetrics.openFileLimit(), limit < UInt64(Int.max) else { return 65_536 }
        return max(64, (Int(clamping: limit) - 128) / 2)
    }

    /// A timeout in seconds between 1 s and a day: the flag, else `key` in `file`, else `fallback`; one out of range
    /// is added to `problems`.
    static func seconds(_ flag: Double?, key: String, default fallback: Double, file: inout ConfigFile,
                        problems: inout [String]) -> TimeAmount {
        let value = flag ?? file.double(key) ?? fallback
        guard (1...86_400).contains(value) else {
            problems.append("--\(key) must be between 1 and 86400 seconds")
            return .seconds(Int64(fallback))
        }
        return .milliseconds(Int64(value * 1000))
    }

    /// A listener address, HOST:PORT: the flag, else `key` in `file`, else `fallback`; a malformed one is added to
    /// `problems`.
    static func address(_ flag: String?, key: String, default fallback: String, file: inout ConfigFile,
                        problems: inout [String]) -> (host: String, port: Int) {
        let text = flag ?? file.string(key) ?? fallback
        guard let address = ListenerConfiguration.parseAddress(text) else {
            problems.append("--\(key) must be HOST:PORT, got \"\(text)\"")
            return ("0.0.0.0", 0)
        }
        return address
    }

    /// The log level: the flag, else `log-level` in `file`, else info; an unknown one is added to `problems` (then
    /// the result is `nil`).
    static func logLevel(_ flag: String?, file: inout ConfigFile, problems: inout [String]) -> Logger.Level? {
        let text = flag ?? file.string("log-level") ?? "info"
        let level = Logger.Level(rawValue: text.lowercased())
        if level == nil { problems.append("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))") }
        return level
    }
}

/// Every problem found in a subcommand's settings, reported at once.
struct SettingsProblems: Error, CustomStringConvertible {
    var messages: [String]
    var description: String {
        "invalid configuration:\n" + messages.map { "  - \($0)" }.joined(separator: "\n")
    }
}

/// Checks shared by the settings of several subcommands.
enum SettingChecks {
    /// Adds a problem unless `text` is an absolute http(s) URL without query or fragment.
    static func checkURL(_ text: String, flag: String, into problems: inout [String]) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
              let host = url.host, !host.isEmpty, url.query == nil, url.fragment == nil else {
            problems.append("\(flag) must be an http(s) URL without query, got \"\(text)\"")
            return
        }
    }

    /// Adds a problem naming `flag` and `path` unless `path` is a file this process can read.
    static func checkReadable(_ path: String, flag: String, into problems: inout [String]) {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            problems.append("\(flag) \(path): no such file")
        } else if isDirectory.boolValue {
            problems.append("\(flag) \(path): is a folder, not a file")
        } else if !FileManager.default.isReadableFile(atPath: path) {
            problems.append("\(flag) \(path): cannot read it (permission denied)")
        }
    }

    /// Adds a problem naming `flag` and `path` unless `path` is a readable file of PEM certificates (a CA bundle).
    static func checkCertificates(_ path: String, flag: String, into problems: inout [String]) {
        let before = problems.count
        checkReadable(path, flag: flag, into: &problems)
        guard problems.count == before else { return }
        if ((try? NIOSSLCertificate.fromPEMFile(path)) ?? []).isEmpty {
            problems.append("\(flag) \(path): no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)")
        }
    }

    /// Adds problems naming the flags unless `certificate` holds a PEM certificate chain and `key` the PEM private
    /// key that goes with its first certificate, as the TLS listener will load them.
    static func checkServingPair(certificate: String, key: String, into problems: inout [String]) {
        let before = problems.count
        checkCertificates(certificate, flag: "--tls-cert-file", into: &problems)
        checkReadable(key, flag: "--tls-private-key-file", into: &problems)
        guard problems.count == before else { return }
        guard let privateKey = try? NIOSSLPrivateKey(file: key, format: .pem) else {
            problems.append("--tls-private-key-file \(key): no PEM private key in it (expected -----BEGIN PRIVATE KEY----- or an RSA or EC key), or it is encrypted")
            return
        }
        guard let chain = try? NIOSSLCertificate.fromPEMFile(certificate) else { return }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        if (try? NIOSSLContext(configuration: configuration)) == nil {
            problems.append("--tls-private-key-file \(key) is not the key of the certificate in --tls-cert-file \(certificate)")
        }
    }

    /// Adds a problem unless `text` is an origin (`https://host[:port]`).
    static func checkOrigin(_ text: String, flag: String, into problems: inout [String]) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
              url.host != nil, url.path.isEmpty || url.path == "/", url.query == nil else {
            problems.append("\(flag) must be an origin like https://console.example.com, got \"\(text)\"")
            return
        }
    }
}
