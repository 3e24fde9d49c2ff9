/// Where and how a listener accepts connections.
public struct ListenerConfiguration: Sendable, Hashable {
    /// Address to bind (`0.0.0.0`, `127.0.0.1`, `::`, ...).
    public var host: String
    /// Port to bind; `0` picks a free port (tests).
    public var port: Int
    /// Certificate and key files for TLS; `nil` serves plain HTTP.
    public var tls: TLSFiles?
    /// The most connections open at once; a connection beyond it is answered 503 and closed (`nil`: no limit).
    public var maximumConnections: Int?

    /// Creates a listener configuration.
    public init(host: String, port: Int, tls: TLSFiles? = nil, maximumConnections: Int? = nil) {
        self.host = host
        self.port = port
        self.tls = tls
        self.maximumConnections = maximumConnections
    }

    /// Parses `HOST:PORT` (`[::1]:8775` for IPv6); `:PORT` means every address (`0.0.0.0:PORT`), as in Go's
    /// servers.
    public static func parseAddress(_ text: String) -> (host: String, port: Int)? {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65535).contains(port), !portText.hasPrefix("+") else { return nil }
        if host.isEmpty {
            // `:8775`: every IPv4 address; `[]:8775` stays malformed.
            return text.hasPrefix("[") ? nil : ("0.0.0.0", port)
        }
        return (String(host), port)
    }
}

/// PEM files for serving TLS. They are re-read when they change on disk (certificate rotation).
public struct TLSFiles: Sendable, Hashable {
    /// The certificate chain, leaf first.
    public var certificateChainPath: String
    /// The private key.
    public var privateKeyPath: String

    /// Creates the pair.
    public init(certificateChainPath: String, privateKeyPath: String) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
    }
}
