import FileSupport
import NIOCore
public import NIOSSL
import Synchronization

/// Holds the current TLS server context and rebuilds it when the certificate or key file changes.
///
/// New connections use the newest context; established ones keep theirs. A broken new file (half-written during
/// a rotation, a key that does not match) keeps the previous context and reports the error.
public final class ServerTLSContextProvider: Sendable {
    private struct State {
        var context: NIOSSLContext
        var fingerprint: [FileFingerprint]
    }

    private let files: TLSFiles
    private let applicationProtocols: [String]
    private let state: Mutex<State>

    /// Loads the files now; throws when they cannot be used.
    public init(files: TLSFiles, applicationProtocols: [String] = ["http/1.1"]) throws {
        self.files = files
        self.applicationProtocols = applicationProtocols
        let fingerprint = Self.fingerprint(files)
        let context = try Self.makeContext(files, applicationProtocols: applicationProtocols)
        self.state = Mutex(State(context: context, fingerprint: fingerprint))
    }

    /// The context for a new connection.
    public var current: NIOSSLContext {
        state.withLock { $0.context }
    }

    /// Rebuilds the context if the files changed since the last load.
    /// - Returns: `true` when a new context was installed.
    @discardableResult
    public func reloadIfChanged() throws -> Bool {
        let fingerprint = Self.fingerprint(files)
        guard fingerprint != state.withLock({ $0.fingerprint }) else { return false }
        let context = try Self.makeContext(files, applicationProtocols: applicationProtocols)
        state.withLock { $0 = State(context: context, fingerprint: fingerprint) }
        return true
    }

    private static func makeContext(_ files: TLSFiles, applicationProtocols: [String]) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(files.certificateChainPath).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: files.privateKeyPath, format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = applicationProtocols
        // After its close_notify the server waits at most this long for the client's before it closes the socket
        // (RFC 8446 §6.1 does not require waiting at all). NIOSSL's default, 5 s, kept every connection a client
        // ended without a close_notify open that long: at a few thousand new connections a second (kubectl opens
        // one per command) that is tens of thousands of sockets held for nothing.
        configuration.shutdownTimeout = Self.closeNotifyWait
        return try NIOSSLContext(configuration: configuration)
    }

    /// How long a closing TLS connection waits for the client's close_notify.
    static let closeNotifyWait: TimeAmount = .milliseconds(500)

    /// The certificate's and the key's fingerprints: cheap to read, and changed by every rotation (including
    /// Kubernetes' symlink swap).
    private static func fingerprint(_ files: TLSFiles) -> [FileFingerprint] {
        [FileFingerprint(path: files.certificateChainPath), FileFingerprint(path: files.privateKeyPath)]
    }
}
