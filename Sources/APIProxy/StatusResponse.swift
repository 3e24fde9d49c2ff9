import NIOCore
public import NIOHTTP1
public import ProxyCore

/// Builds Kubernetes `Status` error responses, which kubectl and client libraries show to their users.
public enum StatusResponse {
    /// A `Status` failure response.
    ///
    /// - Parameters:
    ///   - status: the HTTP status.
    ///   - reason: the Kubernetes `reason` (`Unauthorized`, `Forbidden`, `BadRequest`, ...).
    ///   - message: text for the user; must not contain secrets.
    ///   - headers: extra headers (CORS, `WWW-Authenticate`).
    ///   - refusal: a bounded label for metrics and logs.
    public static func make(_ status: HTTPResponseStatus, reason: String, message: String, headers: HTTPHeaders = [:],
                            refusal: String?, logUser: String? = nil) -> LocalResponse {
        var body = ByteBuffer()
        body.writeString(#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"#)
        writeJSONString(message, into: &body)
        body.writeString(#","reason":"#)
        writeJSONString(reason, into: &body)
        body.writeString(#","code":\#(status.code)}"#)
        body.writeString("\n")
        var allHeaders = headers
        allHeaders.replaceOrAdd(name: "Content-Type", value: "application/json")
        allHeaders.replaceOrAdd(name: "Cache-Control", value: "no-store")
        return LocalResponse(status: status, headers: allHeaders, body: body, logUser: logUser, refusalReason: refusal)
    }

    /// Writes `text` as a JSON string literal.
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
