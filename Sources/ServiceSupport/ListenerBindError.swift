#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// A listener could not bind its address, said in one line that names the listener, the address and what to do:
/// `api listener: 127.0.0.1:8775 is already in use; choose another with --listen`.
public struct ListenerBindError: Error, CustomStringConvertible, Sendable {
    /// Why the bind failed.
    public enum Reason: Sendable, Equatable {
        /// Another socket holds the address.
        case inUse
        /// The port needs privileges this process lacks (below 1024).
        case permissionDenied
        /// The host is not an address of this machine, or cannot be resolved.
        case notLocal
        /// Anything else, with the system's words for it.
        case other(String)
    }

    /// The listener (`api`, `console`, `management`).
    public var listener: String
    /// `HOST:PORT` as configured.
    public var address: String
    public var reason: Reason

    /// The flag that sets this listener's address.
    public var flag: String { listener == "management" ? "--management-listen" : "--listen" }

    public var description: String {
        let what: String
        switch reason {
        case .inUse: what = "is already in use; choose another with \(flag)"
        case .permissionDenied: what = "needs privileges to bind (ports below 1024); choose a port of 1024 or more with \(flag)"
        case .notLocal: what = "is not an address of this machine; choose one with \(flag) (0.0.0.0 for every address)"
        case .other(let text): what = "cannot be bound (\(text)); check \(flag)"
        }
        return "\(listener) listener: \(address) \(what)"
    }

    /// Creates the error.
    public init(listener: String, address: String, reason: Reason) {
        self.listener = listener
        self.address = address
        self.reason = reason
    }

    /// The error for `error`, thrown when `listener` bound `host`:`port`.
    init(listener: String, host: String, port: Int, error: any Error) {
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let reason: Reason
        if let io = error as? IOError {
            switch io.errnoCode {
            case EADDRINUSE: reason = .inUse
            case EACCES, EPERM: reason = .permissionDenied
            case EADDRNOTAVAIL: reason = .notLocal
            default: reason = .other(String(cString: strerror(io.errnoCode)).lowercased())
            }
        } else if error is SocketAddressError || error is SocketAddressError.UnknownHost {
            reason = .notLocal
        } else {
            reason = .other("\(error)")
        }
        self.init(listener: listener, address: address, reason: reason)
    }
}
