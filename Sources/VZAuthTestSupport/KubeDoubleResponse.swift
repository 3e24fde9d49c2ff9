import Foundation
import NIOCore
import NIOHTTP1

/// A parsed request as the double's routes see it.
struct KubeDoubleRequest {
    var head: HTTPRequestHead
    var body: ByteBuffer
    /// Percent-decoded path segments.
    var segments: [String]
    var query: [(String, String)]

    init(head: HTTPRequestHead, body: ByteBuffer) {
        self.head = head
        self.body = body
        let uri = head.uri
        let pathPart = uri.prefix { $0 != "?" }
        self.segments = pathPart.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        var query: [(String, String)] = []
        if let questionMark = uri.firstIndex(of: "?") {
            for item in uri[uri.index(after: questionMark)...].split(separator: "&") {
                let parts = item.split(separator: "=", maxSplits: 1)
                let name = String(parts[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(parts[0])
                let raw = parts.count > 1 ? String(parts[1]) : ""
                query.append((name, raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? raw))
            }
        }
        self.query = query
    }

    var method: HTTPMethod { self.head.method }
    var path: String { "/" + self.segments.joined(separator: "/") }

    func queryValue(_ name: String) -> String? { self.query.first { $0.0 == name }?.1 }
    func queryValues(_ name: String) -> [String] { self.query.filter { $0.0 == name }.map(\.1) }
    func queryFlag(_ name: String) -> Bool {
        guard let value = self.queryValue(name) else { return false }
        return value == "true" || value == "1" || value.isEmpty
    }
}

/// What a route answers.
enum KubeDoubleResponse {
    /// A complete response with `Content-Length`.
    case full(status: HTTPResponseStatus, contentType: String, body: ByteBuffer)
    /// A chunked response whose body is written over time; `start` registers the writer.
    case stream(contentType: String, start: @Sendable (KubeDoubleStreamWriter) -> Void)

    static func json(_ value: KubeDoubleJSON, status: HTTPResponseStatus = .ok) -> Self {
        .full(status: status, contentType: "application/json", body: value.buffer)
    }

    static func text(_ text: String, status: HTTPResponseStatus = .ok) -> Self {
        .full(status: status, contentType: "text/plain; charset=utf-8", body: ByteBuffer(string: text))
    }

    /// A failure `Status`, as the API server sends it.
    static func status(
        _ code: Int,
        reason: String,
        message: String,
        details: KubeDoubleJSON? = nil
    ) -> Self {
        .json(KubeDoubleResponse.statusObject(code, reason: reason, message: message, details: details),
              status: HTTPResponseStatus(statusCode: code))
    }

    static func statusObject(_ code: Int, reason: String, message: String, details: KubeDoubleJSON? = nil) -> KubeDoubleJSON {
        var object: KubeDoubleJSON = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
            "message": .string(message), "reason": .string(reason), "code": .integer(Int64(code)),
        ]
        if let details { object["details"] = details }
        return object
    }

    static func notFound(_ type: KubeAPIServerDouble.ResourceType, name: String) -> Self {
        let groupPrefix = type.group.isEmpty ? "" : ".\(type.group)"
        return .status(404, reason: "NotFound", message: "\(type.resource)\(groupPrefix) \"\(name)\" not found",
                       details: ["name": .string(name), "group": .string(type.group), "kind": .string(type.resource)])
    }

    static func badRequest(_ message: String) -> Self {
        .status(400, reason: "BadRequest", message: message)
    }

    /// A 409 `Conflict` Status as the API server words it:
    /// `Operation cannot be fulfilled on roles.rbac.authorization.k8s.io "name": <detail>`.
    static func conflict(_ type: KubeAPIServerDouble.ResourceType, name: String, _ detail: String) -> Self {
        let groupSuffix = type.group.isEmpty ? "" : ".\(type.group)"
        return .status(409, reason: "Conflict",
                       message: "Operation cannot be fulfilled on \(type.resource)\(groupSuffix) \"\(name)\": \(detail)",
                       details: ["name": .string(name), "group": .string(type.group), "kind": .string(type.resource)])
    }

    /// The conflict for a stale `metadata.resourceVersion`.
    static func staleResourceVersion(_ type: KubeAPIServerDouble.ResourceType, name: String) -> Self {
        .conflict(type, name: name,
                  "the object has been modified; please apply your changes to the latest version and try again")
    }

    /// A 422 `Invalid` Status for one field error, as `errors.NewInvalid` words it:
    /// `Kind.group "name" is invalid: field: Error type: detail`.
    ///
    /// - Parameters:
    ///   - errorType: The field error type as printed, e.g. `Required value`, `Forbidden`.
    ///   - causeReason: The cause's reason, e.g. `FieldValueRequired`, `FieldValueForbidden`.
    static func invalid(
        kind: String,
        group: String,
        name: String,
        field: String,
        errorType: String,
        causeReason: String,
        detail: String
    ) -> Self {
        let qualifiedKind = group.isEmpty ? kind : "\(kind).\(group)"
        let cause = "\(errorType): \(detail)"
        return .status(422, reason: "Invalid", message: "\(qualifiedKind) \"\(name)\" is invalid: \(field): \(cause)", details: [
            "name": .string(name), "group": .string(group), "kind": .string(kind),
            "causes": [["reason": .string(causeReason), "message": .string(cause), "field": .string(field)]],
        ])
    }
}

/// A route's failure, turned into a `Status` response.
struct KubeDoubleFailure: Error {
    var response: KubeDoubleResponse
}
