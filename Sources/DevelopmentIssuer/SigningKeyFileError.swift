/// Why the development issuer's key file could not be used.
public enum SigningKeyFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file exists but cannot be read.
    case unreadable(path: String, reason: String)
    /// The file cannot be written (or its folder created).
    case unwritable(path: String, reason: String)
    /// The file holds no key the development issuer can sign with.
    case unsupportedKey(path: String, reason: String)

    /// The message for the user.
    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read the issuer key file \(path): \(reason)"
        case .unwritable(let path, let reason): "cannot write the issuer key file \(path): \(reason)"
        case .unsupportedKey(let path, let reason):
            path.isEmpty ? "unusable issuer key: \(reason)" : "unusable issuer key in \(path): \(reason)"
        }
    }
}
