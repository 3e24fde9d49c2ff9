import Foundation

/// Why a file could not be read, written or run, in the words an operator acts on ("no such file", "permission
/// denied", "is a directory"), instead of Foundation's "The operation could not be completed. The file doesn’t
/// exist."
public enum FileErrorReason {
    /// A short, lower-case reason for an error thrown by `Data(contentsOf:)`, `String(contentsOfFile:encoding:)`,
    /// a file write or `Process.run()`.
    ///
    /// - Parameter error: The error the file operation threw.
    /// - Returns: the reason, e.g. `no such file`; for an error that is not a file error, its description.
    public static func of(_ error: any Error) -> String {
        let cocoa = error as NSError
        // Decoding a file as a string: Foundation on Linux reports "corrupt file", on Darwin "inapplicable encoding".
        if cocoa.domain == NSCocoaErrorDomain, [CocoaError.fileReadInapplicableStringEncoding.rawValue,
                                                CocoaError.fileReadCorruptFile.rawValue].contains(cocoa.code) {
            return "not UTF-8 text"
        }
        let underlying = (cocoa.userInfo[NSUnderlyingErrorKey] as? any Error).map { $0 as NSError }
        let posix = cocoa.domain == NSPOSIXErrorDomain ? cocoa : underlying
        guard let posix, posix.domain == NSPOSIXErrorDomain else {
            if cocoa.domain == NSCocoaErrorDomain {
                switch CocoaError.Code(rawValue: cocoa.code) {
                case .fileReadNoSuchFile, .fileNoSuchFile: return "no such file"
                case .fileReadNoPermission: return "permission denied"
                default: return cocoa.localizedDescription
                }
            }
            return "\(error)"
        }
        switch POSIXErrorCode(rawValue: Int32(posix.code)) {
        case .ENOENT: return "no such file"
        case .EACCES, .EPERM: return "permission denied"
        case .EISDIR: return "is a directory, not a file"
        case .ENOTDIR: return "a part of the path is not a directory"
        case .ELOOP: return "too many symbolic links"
        default:
            let text = String(cString: strerror(Int32(posix.code)))
            return text.prefix(1).lowercased() + text.dropFirst()
        }
    }
}
