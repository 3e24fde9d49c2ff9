import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOSSL

/// Says in one line why a request to the identity provider failed, in the operator's terms rather than the HTTP
/// client's: an `https` URL answered by plain HTTP (or an `http` URL answered by TLS), a refused connection, a
/// name that does not resolve, a timeout.
enum TransportFailure {
    /// The sentence for `error`, from a request to `url`.
    static func describe(_ error: any Error, url: String) -> String {
        let https = url.lowercased().hasPrefix("https:")
        let text = String(describing: error)
        if https, error is NIOSSLError || error is BoringSSLError,
           text.contains("WRONG_VERSION_NUMBER") || text.contains("wrong version number") || text.contains("HTTP_REQUEST") {
            return "\(url) is answered by plain HTTP, not TLS: use an http:// URL, or the server's TLS port"
        }
        if !https, error is HTTPParserError {
            return "\(url) is not answered with HTTP (is it a TLS port? then use an https:// URL)"
        }
        if https, error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            return "TLS with \(url) failed (is the server's certificate trusted? --oidc-ca-file names a CA): \(text)"
        }
        if let client = error as? HTTPClientError {
            if client == .connectTimeout || client == .deadlineExceeded || client == .readTimeout {
                return "\(url) did not answer in time"
            }
            if client == .remoteConnectionClosed {
                return "\(url) closed the connection without an answer"
                    + (https ? "" : " (is it a TLS port? then use an https:// URL)")
            }
        }
        if text.contains("ECONNREFUSED") || text.contains("Connection refused") || text.contains("connection refused") {
            return "\(url) refused the connection (nothing listens at that address and port)"
        }
        if text.contains("NIOConnectionError") || text.contains("dnsAAAAError") || text.contains("resolve") {
            return "cannot connect to \(url): \(text)"
        }
        return "request to \(url) failed: \(text)"
    }
}
