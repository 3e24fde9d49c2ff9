public import NIOHTTP1

/// Why ``ClientRequestDecoder`` refused a client's bytes: malformed, ambiguous, too large, or cut short.
///
/// Each error knows the HTTP ``status`` to answer with (when no response has started yet) and a bounded
/// ``reason`` label for metrics. The connection cannot be used after any of them: the decoder stops and the
/// request framing is lost, so the answer must close the connection.
///
/// - Important: Neither ``reason`` nor ``description`` contains any byte the client sent.
public struct ClientRequestError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case malformedRequestLine
        case unsupportedVersion
        case malformedField
        case invalidFieldValueEncoding
        case obsoleteLineFolding
        case tooManyEmptyLines
        case headTooLarge
        case tooManyFields
        case trailersTooLarge
        case tooManyTrailerFields
        case duplicateHost
        case invalidContentLength
        case conflictingFraming
        case malformedTransferEncoding
        case transferEncodingInHTTP10
        case unsupportedTransferCoding
        case malformedChunk
        case chunkTooLarge
        case truncated
    }

    private let code: Code

    private init(_ code: Code) {
        self.code = code
    }

    /// The status to answer with: 400, 413, 431, 501 or 505.
    public var status: HTTPResponseStatus {
        switch code {
        case .headTooLarge, .tooManyFields, .trailersTooLarge, .tooManyTrailerFields: return .requestHeaderFieldsTooLarge
        case .unsupportedTransferCoding: return .notImplemented
        case .unsupportedVersion: return .httpVersionNotSupported
        case .chunkTooLarge: return .payloadTooLarge
        default: return .badRequest
        }
    }

    /// A bounded label for metrics: `bad_request`, `bad_framing`, `headers_too_large`, `too_many_headers`,
    /// `unsupported_transfer_coding`, `unsupported_version`, `body_too_large` or `truncated`.
    public var reason: String {
        switch code {
        case .malformedRequestLine, .malformedField, .invalidFieldValueEncoding, .obsoleteLineFolding,
             .tooManyEmptyLines, .duplicateHost:
            return "bad_request"
        case .invalidContentLength, .conflictingFraming, .malformedTransferEncoding, .transferEncodingInHTTP10,
             .malformedChunk:
            return "bad_framing"
        case .headTooLarge, .trailersTooLarge: return "headers_too_large"
        case .tooManyFields, .tooManyTrailerFields: return "too_many_headers"
        case .unsupportedTransferCoding: return "unsupported_transfer_coding"
        case .unsupportedVersion: return "unsupported_version"
        case .chunkTooLarge: return "body_too_large"
        case .truncated: return "truncated"
        }
    }

    /// What went wrong, for logs; never the client's bytes.
    public var description: String {
        let text: String
        switch code {
        case .malformedRequestLine: text = "malformed request line"
        case .unsupportedVersion: text = "unsupported HTTP version"
        case .malformedField: text = "malformed header field line"
        case .invalidFieldValueEncoding: text = "header field value is not valid UTF-8"
        case .obsoleteLineFolding: text = "obsolete line folding"
        case .tooManyEmptyLines: text = "too many empty lines before the request line"
        case .headTooLarge: text = "request head too large"
        case .tooManyFields: text = "too many header fields"
        case .trailersTooLarge: text = "trailer section too large"
        case .tooManyTrailerFields: text = "too many trailer fields"
        case .duplicateHost: text = "more than one Host header field"
        case .invalidContentLength: text = "invalid Content-Length"
        case .conflictingFraming: text = "both Transfer-Encoding and Content-Length"
        case .malformedTransferEncoding: text = "malformed Transfer-Encoding"
        case .transferEncodingInHTTP10: text = "Transfer-Encoding in an HTTP/1.0 request"
        case .unsupportedTransferCoding: text = "unsupported transfer coding"
        case .malformedChunk: text = "malformed chunk"
        case .chunkTooLarge: text = "chunk size too large"
        case .truncated: text = "the connection ended in the middle of a request"
        }
        return "ClientRequestError(\(status.code) \(reason)): \(text)"
    }
}

extension ClientRequestError {
    /// The request line is not `method SP request-target SP HTTP-version CRLF` (bad method or target bytes, a
    /// missing or doubled space, a version that is not `HTTP/d.d`, a bare CR or LF).
    public static let malformedRequestLine = Self(.malformedRequestLine)
    /// The version is `HTTP/x.y` but neither `1.1` nor `1.0` (505).
    public static let unsupportedVersion = Self(.unsupportedVersion)
    /// A field line is not `name: value CRLF` (white space before the colon, a control byte in the value, a bare
    /// CR or LF).
    public static let malformedField = Self(.malformedField)
    /// A field value holds bytes above 0x7F that are not UTF-8: they could not be forwarded as received.
    public static let invalidFieldValueEncoding = Self(.invalidFieldValueEncoding)
    /// A field line starts with white space (obs-fold, RFC 9112 §5.2).
    public static let obsoleteLineFolding = Self(.obsoleteLineFolding)
    /// More empty lines before the request line than RFC 9112 §2.2's robustness allowance covers.
    public static let tooManyEmptyLines = Self(.tooManyEmptyLines)
    /// The head (as received, every byte counted) is larger than the limit (431).
    public static let headTooLarge = Self(.headTooLarge)
    /// The head has more field lines than the limit (431).
    public static let tooManyFields = Self(.tooManyFields)
    /// A chunked body's trailer section is larger than the limit (431).
    public static let trailersTooLarge = Self(.trailersTooLarge)
    /// A chunked body's trailer section has more field lines than the limit (431).
    public static let tooManyTrailerFields = Self(.tooManyTrailerFields)
    /// More than one `Host` field line (RFC 9112 §3.2): two parties could pick different ones.
    public static let duplicateHost = Self(.duplicateHost)
    /// `Content-Length` is not all digits, is too large, or several values differ.
    public static let invalidContentLength = Self(.invalidContentLength)
    /// Both `Transfer-Encoding` and `Content-Length` (a request-smuggling shape, RFC 9112 §6.1).
    public static let conflictingFraming = Self(.conflictingFraming)
    /// `Transfer-Encoding` is empty, has an empty or malformed element, or names `chunked` twice or with
    /// parameters.
    public static let malformedTransferEncoding = Self(.malformedTransferEncoding)
    /// `Transfer-Encoding` in an HTTP/1.0 request (RFC 9112 §6.1: the framing is faulty).
    public static let transferEncodingInHTTP10 = Self(.transferEncodingInHTTP10)
    /// `Transfer-Encoding` names a coding other than `chunked` (501).
    public static let unsupportedTransferCoding = Self(.unsupportedTransferCoding)
    /// A chunk-size line is malformed or too long, or chunk data is not followed by CRLF.
    public static let malformedChunk = Self(.malformedChunk)
    /// A chunk size does not fit in an `Int` (413).
    public static let chunkTooLarge = Self(.chunkTooLarge)
    /// The input ended in the middle of a request head or body.
    public static let truncated = Self(.truncated)
}
