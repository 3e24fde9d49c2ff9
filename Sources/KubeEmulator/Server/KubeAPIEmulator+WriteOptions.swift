import Foundation
import NIOCore
import NIOHTTP1

/// The query options of a write (`CreateOptions`, `UpdateOptions`, `PatchOptions`), validated as the API server
/// validates them (`k8s.io/apimachinery/pkg/apis/meta/v1/validation`).
struct KubeEmulatorWriteOptions {
    /// `fieldManager`; empty when not given.
    var fieldManager: String
    /// `dryRun=All`: the write is checked and answered, nothing is stored.
    var dryRun: Bool
    /// `force=true` (server-side apply only).
    var force: Bool
    /// Who the write is by, as the API server names the manager of a write: `fieldManager`, or else the
    /// `User-Agent` up to its first `/`.
    var managerName: String

    /// The manager of this write to `type` (through `subresource`), applying or updating.
    func manager(of type: KubeAPIEmulator.ResourceType, subresource: String?, applies: Bool = false) -> KubeEmulatorFieldManager {
        KubeEmulatorFieldManager(name: self.managerName, applies: applies, subresource: subresource, apiVersion: type.apiVersion)
    }
}

/// How a `PATCH` body is to be read, by its `Content-Type`.
enum KubeEmulatorPatchType {
    /// `application/json-patch+json`: RFC 6902.
    case json
    /// `application/merge-patch+json`: RFC 7386.
    case merge
    /// `application/strategic-merge-patch+json`, built-in types only (read as a merge patch by the double).
    case strategicMerge
    /// `application/apply-patch+yaml`: server-side apply.
    case apply
}

extension KubeAPIEmulator {
    /// The longest `fieldManager` the API server accepts.
    static let fieldManagerMaxLength = 128

    /// The options of a write from the query; 422 `Invalid` (kind `CreateOptions`, `UpdateOptions` or
    /// `PatchOptions` in `meta.k8s.io`) when they break the API server's rules: `force` only for apply,
    /// `fieldManager` required for apply, at most 128 bytes and printable; `dryRun` only `All`; `fieldValidation`
    /// empty, `Ignore`, `Warn` or `Strict`.
    static func writeOptions(_ request: KubeEmulatorRequest, kind: String, apply: Bool = false) throws -> KubeEmulatorWriteOptions {
        let fieldManager = request.queryValue("fieldManager") ?? ""
        var errors: [KubeEmulatorFieldError] = []
        if kind == "PatchOptions" {
            if !apply, request.queryValue("force") != nil {
                errors.append(KubeEmulatorFieldError(field: "force", reason: "FieldValueForbidden",
                                                   message: "Forbidden: may not be specified for non-apply patch"))
            }
            if apply, fieldManager.isEmpty {
                errors.append(KubeEmulatorFieldError(field: "fieldManager", reason: "FieldValueRequired",
                                                   message: "Required value: is required for apply patch"))
            }
        }
        if fieldManager.utf8.count > Self.fieldManagerMaxLength {
            errors.append(KubeEmulatorFieldError(field: "fieldManager", reason: "FieldValueTooLong",
                                               message: "Too long: must have at most \(Self.fieldManagerMaxLength) bytes"))
        }
        var offset = 0
        for scalar in fieldManager.unicodeScalars {
            if !Self.isPrintable(scalar) {
                let code = String(scalar.value, radix: 16, uppercase: true)
                let padded = String(repeating: "0", count: max(0, 4 - code.count)) + code
                errors.append(KubeEmulatorFieldError(
                    field: "fieldManager", reason: "FieldValueInvalid",
                    message: "Invalid value: \(Self.goQuoted(fieldManager)): invalid character U+\(padded) (at position \(offset))"))
            }
            offset += String(scalar).utf8.count
        }
        let dryRun = request.queryValues("dryRun")
        if dryRun.contains(where: { $0 != "All" }) {
            let printed = "[]string{" + dryRun.map(Self.goQuoted).joined(separator: ", ") + "}"
            errors.append(KubeEmulatorFieldError(field: "dryRun", reason: "FieldValueNotSupported",
                                               message: "Unsupported value: \(printed): supported values: \"All\""))
        }
        let fieldValidation = request.queryValue("fieldValidation") ?? ""
        if !["", "Ignore", "Warn", "Strict"].contains(fieldValidation) {
            errors.append(KubeEmulatorFieldError(
                field: "fieldValidation", reason: "FieldValueNotSupported",
                message: "Unsupported value: \(Self.goQuoted(fieldValidation)): supported values: \"\", \"Ignore\", \"Strict\", \"Warn\""))
        }
        guard errors.isEmpty else {
            throw KubeEmulatorFailure(response: .invalid(kind: kind, group: "meta.k8s.io", name: "", errors: errors))
        }
        let userAgent = request.head.headers["User-Agent"].first ?? ""
        return KubeEmulatorWriteOptions(
            fieldManager: fieldManager,
            dryRun: !dryRun.isEmpty,
            force: ["true", "1"].contains(request.queryValue("force") ?? ""),
            managerName: fieldManager.isEmpty ? String(userAgent.prefix { $0 != "/" }) : fieldManager)
    }

    /// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber,
             .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return scalar == " "
        }
    }

    /// Go's `%q` of a string (`strconv.Quote`), closely enough for error messages.
    static func goQuoted(_ text: String) -> String {
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\r": quoted += "\\r"
            case "\t": quoted += "\\t"
            case _ where Self.isPrintable(scalar):
                quoted.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x80:
                quoted += "\\x" + String(format: "%02x", scalar.value)
            case _ where scalar.value < 0x10000:
                quoted += "\\u" + String(format: "%04x", scalar.value)
            default:
                quoted += "\\U" + String(format: "%08x", scalar.value)
            }
        }
        return quoted + "\""
    }

    /// The media type of the request body, lower-cased, without parameters; empty when there is none.
    private static func mediaType(_ request: KubeEmulatorRequest) -> String {
        let contentType = request.head.headers["Content-Type"].first ?? ""
        return contentType.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// The body of a `POST` or `PUT` as the API server decodes it: JSON (also when no `Content-Type` is given) or
    /// YAML (read as ``KubeEmulatorYAML`` reads it); 415 for other media types, 400 for a body that is not an object.
    static func requestObject(_ request: KubeEmulatorRequest, type: ResourceType) throws -> KubeEmulatorJSON {
        switch Self.mediaType(request) {
        case "", "application/json":
            guard let object = try? KubeEmulatorJSON.parse(request.body), object.objectValue != nil else {
                throw KubeEmulatorFailure(response: .badRequest("the request body is not a JSON object"))
            }
            return object
        case "application/yaml":
            do {
                return .object(try KubeEmulatorYAML.object(request.body))
            } catch {
                // As `transformDecodeError` words it (with the first 30 bytes of the body); approximated.
                let text = String(buffer: request.body)
                let summary = text.utf8.count > 30 ? String(decoding: text.utf8.prefix(30), as: UTF8.self) + " ..." : text
                throw KubeEmulatorFailure(response: .badRequest(
                    "the object provided is unrecognized (must be of type \(type.kind)): \(error.message) (\(summary))"))
            }
        case "application/vnd.kubernetes.protobuf" where !type.isCustomResource:
            if let object = KubeEmulatorProtobuf.object(Array(request.body.readableBytesView), kind: type.kind,
                                                              apiVersion: type.apiVersion) {
                return object
            }
            throw KubeEmulatorFailure(response: .status(
                415, reason: "UnsupportedMediaType",
                message: "the API server double does not read application/vnd.kubernetes.protobuf request bodies"))
        default:
            let protobuf = type.isCustomResource ? [] : ["application/vnd.kubernetes.protobuf"]
            throw KubeEmulatorFailure(response: .unsupportedMediaType(["application/json", "application/yaml"] + protobuf))
        }
    }

    /// How to read a `PATCH` body: 415 for media types the API server does not take for `type` (strategic merge
    /// patches are not taken for custom resources; `application/apply-patch+cbor` is not taken while the
    /// `CBORServingAndStorage` feature is off, its default).
    static func patchType(_ request: KubeEmulatorRequest, type: ResourceType) throws -> KubeEmulatorPatchType {
        let mediaType = Self.mediaType(request)
        switch mediaType {
        case "application/json-patch+json": return .json
        case "application/merge-patch+json": return .merge
        case "application/strategic-merge-patch+json" where !type.isCustomResource: return .strategicMerge
        case "application/apply-patch+yaml": return .apply
        default:
            let strategic = type.isCustomResource ? [] : ["application/strategic-merge-patch+json"]
            throw KubeEmulatorFailure(response: .unsupportedMediaType(
                ["application/json-patch+json", "application/merge-patch+json"] + strategic + ["application/apply-patch+yaml"]))
        }
    }
}
