import Foundation
import NIOCore
import NIOHTTP1

/// A parsed request as the double's routes see it.
struct KubeEmulatorRequest {
    var head: HTTPRequestHead
    var body: ByteBuffer
    /// The escalation check its write of an RBAC object must pass (set in RBAC mode before the write is served).
    var rbacWriteCheck: KubeEmulatorRBACWriteCheck?
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
enum KubeEmulatorResponse {
    /// A complete response with `Content-Length`.
    case full(status: HTTPResponseStatus, contentType: String, body: ByteBuffer)
    /// A chunked response whose body is written over time; `start` registers the writer.
    case stream(contentType: String, start: @Sendable (KubeEmulatorStreamWriter) -> Void)
    /// An injected fault: the head (if any) and `partialBody`, then nothing more while the connection lasts.
    case hold(KubeEmulatorStalledHead?, partialBody: ByteBuffer)

    static func json(_ value: KubeEmulatorJSON, status: HTTPResponseStatus = .ok) -> Self {
        .full(status: status, contentType: "application/json", body: value.buffer)
    }

    static func text(_ text: String, status: HTTPResponseStatus = .ok) -> Self {
        .full(status: status, contentType: "text/plain; charset=utf-8", body: ByteBuffer(string: text))
    }

    /// A failure `Status`, as the API server sends it; a `nil` reason is left out, as for errors the API server did
    /// not classify (`StatusReasonUnknown`).
    static func status(
        _ code: Int,
        reason: String?,
        message: String,
        details: KubeEmulatorJSON? = nil
    ) -> Self {
        .json(KubeEmulatorResponse.statusObject(code, reason: reason, message: message, details: details),
              status: HTTPResponseStatus(statusCode: code))
    }

    static func statusObject(_ code: Int, reason: String?, message: String, details: KubeEmulatorJSON? = nil) -> KubeEmulatorJSON {
        var object: KubeEmulatorJSON = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
            "message": .string(message), "code": .integer(Int64(code)),
        ]
        if let reason { object["reason"] = .string(reason) }
        if let details { object["details"] = details }
        return object
    }

    /// 415 for a body media type the route does not read, worded as `negotiation.NewUnsupportedMediaTypeError`.
    static func unsupportedMediaType(_ accepted: [String]) -> Self {
        .status(415, reason: "UnsupportedMediaType",
                message: "the body of the request was in an unknown format - accepted media types include: "
                    + accepted.joined(separator: ", "))
    }

    static func notFound(_ type: KubeAPIEmulator.ResourceType, name: String) -> Self {
        let groupPrefix = type.group.isEmpty ? "" : ".\(type.group)"
        return .status(404, reason: "NotFound", message: "\(type.resource)\(groupPrefix) \"\(name)\" not found",
                       details: ["name": .string(name), "group": .string(type.group), "kind": .string(type.resource)])
    }

    static func badRequest(_ message: String) -> Self {
        .status(400, reason: "BadRequest", message: message)
    }

    /// A 409 `Conflict` Status as the API server words it:
    /// `Operation cannot be fulfilled on roles.rbac.authorization.k8s.io "name": <detail>`.
    static func conflict(_ type: KubeAPIEmulator.ResourceType, name: String, _ detail: String) -> Self {
        let groupSuffix = type.group.isEmpty ? "" : ".\(type.group)"
        return .status(409, reason: "Conflict",
                       message: "Operation cannot be fulfilled on \(type.resource)\(groupSuffix) \"\(name)\": \(detail)",
                       details: ["name": .string(name), "group": .string(type.group), "kind": .string(type.resource)])
    }

    /// The conflict for a stale `metadata.resourceVersion`.
    static func staleResourceVersion(_ type: KubeAPIEmulator.ResourceType, name: String) -> Self {
        .conflict(type, name: name,
                  "the object has been modified; please apply your changes to the latest version and try again")
    }

    /// A create with `metadata.resourceVersion` set: the storage layer refuses it with a plain error
    /// (`storage.ErrResourceVersionSetOnCreate`), which the API server answers as 500 without a reason.
    static var resourceVersionSetOnCreate: Self {
        .status(500, reason: nil, message: "resourceVersion should not be set on objects to be created")
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
        .invalid(kind: kind, group: group, name: name,
                 errors: [KubeEmulatorFieldError(field: field, reason: causeReason, message: "\(errorType): \(detail)")])
    }

    /// A 422 `Invalid` Status for field errors, as `errors.NewInvalid` words them: one error as
    /// `Kind.group "name" is invalid: field: message`, several as `... is invalid: [field: message, ...]`.
    static func invalid(kind: String, group: String, name: String, errors: [KubeEmulatorFieldError]) -> Self {
        let qualifiedKind = group.isEmpty ? kind : "\(kind).\(group)"
        let printed = errors.map { "\($0.field): \($0.message)" }
        let aggregate = printed.count == 1 ? printed[0] : "[" + printed.joined(separator: ", ") + "]"
        return .status(422, reason: "Invalid", message: "\(qualifiedKind) \"\(name)\" is invalid: \(aggregate)", details: [
            "name": .string(name), "group": .string(group), "kind": .string(kind),
            "causes": .array(errors.map {
                ["reason": .string($0.reason), "message": .string($0.message), "field": .string($0.field)]
            }),
        ])
    }
}

/// One field error of a 422 `Invalid` Status.
struct KubeEmulatorFieldError {
    /// The field path, e.g. `metadata.resourceVersion`.
    var field: String
    /// The cause reason, e.g. `FieldValueInvalid`.
    var reason: String
    /// The error as printed after the field, e.g. `Invalid value: 0x0: must be specified for an update`.
    var message: String
}

/// A route's failure, turned into a `Status` response.
struct KubeEmulatorFailure: Error {
    var response: KubeEmulatorResponse
}
