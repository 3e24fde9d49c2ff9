import NIOCore
public import NIOHTTP1
public import ProxyCore

extension LocalResponse {
    /// `refusal` as a Kubernetes `Status` failure (what kubectl and client libraries show their users), for the API
    /// proxy.
    ///
    /// The body is one line of JSON, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
    /// "message":...,"reason":...,"code":...}`, whose `reason` follows the status (``kubernetesReason(for:)``). The
    /// headers are `headers` (CORS), then the challenge (`Bearer realm="kubernetes"`, with `error="invalid_token"`
    /// for a refused token), then `Content-Type: application/json` and `Cache-Control: no-store`, which replace any
    /// `headers` had.
    public static func kubernetesStatus(_ refusal: ProxyRefusal, headers: HTTPHeaders = [:]) -> LocalResponse {
        var body = ByteBuffer()
        body.writeString(#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"#)
        writeJSONString(refusal.message, into: &body)
        body.writeString(#","reason":"#)
        writeJSONString(kubernetesReason(for: refusal.status), into: &body)
        body.writeString(#","code":\#(refusal.status.code)}"#)
        body.writeString("\n")
        var allHeaders = headers
        switch refusal.challenge {
        case .bearer?: allHeaders.add(name: "WWW-Authenticate", value: #"Bearer realm="kubernetes""#)
        case .invalidBearerToken?: allHeaders.add(name: "WWW-Authenticate", value: #"Bearer realm="kubernetes", error="invalid_token""#)
        case nil: break
        }
        allHeaders.replaceOrAdd(name: "Content-Type", value: "application/json")
        allHeaders.replaceOrAdd(name: "Cache-Control", value: "no-store")
        return LocalResponse(status: refusal.status, headers: allHeaders, body: body, logUser: refusal.logUser,
                             refusalReason: refusal.reason)
    }

    /// The `reason` of a Kubernetes `Status` for `status`, as the API server uses it: `Unauthorized`, `Forbidden`,
    /// `MethodNotAllowed`, `ServiceUnavailable`, `Timeout` (504); `InternalError` for any other 5xx, `BadRequest` for
    /// any other status.
    public static func kubernetesReason(for status: HTTPResponseStatus) -> String {
        switch status.code {
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 405: "MethodNotAllowed"
        case 503: "ServiceUnavailable"
        case 504: "Timeout"
        case 500...: "InternalError"
        default: "BadRequest"
        }
    }

    /// Writes `text` as a JSON string literal; control characters, DEL, C1 and the two JavaScript line separators
    /// are escaped.
    static func writeJSONString(_ text: String, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": buffer.writeString("\\\"")
            case "\\": buffer.writeString("\\\\")
            case "\n": buffer.writeString("\\n")
            case "\r": buffer.writeString("\\r")
            case "\t": buffer.writeString("\\t")
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                buffer.writeString("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default:
                buffer.writeString(String(scalar))
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}
