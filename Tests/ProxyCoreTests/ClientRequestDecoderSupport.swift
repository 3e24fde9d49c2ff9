@testable import ServiceSupport
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import ProxyCore

/// A field line as decoded: name (with its case) and value.
struct DecodedField: Equatable, CustomStringConvertible {
    var name: String
    var value: String

    init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    var description: String { "\(name): \(value.debugDescription)" }
}

/// What came out of a decoder, in a form compared field by field.
enum DecodedRequestPart: Equatable, CustomStringConvertible {
    case head(method: HTTPMethod, uri: String, version: HTTPVersion, fields: [DecodedField])
    /// Body bytes; adjacent body parts are joined unless the driver is told to keep them apart.
    case body([UInt8])
    case end(trailers: [DecodedField]?)
    /// Raw bytes handed on when the decoder was removed.
    case bytes([UInt8])
    case error(ClientRequestError)

    static func head(_ method: HTTPMethod, _ uri: String, version: HTTPVersion = .http1_1, _ fields: [DecodedField]) -> DecodedRequestPart {
        .head(method: method, uri: uri, version: version, fields: fields)
    }

    static func body(_ text: String) -> DecodedRequestPart { .body(Array(text.utf8)) }
    static func bytes(_ text: String) -> DecodedRequestPart { .bytes(Array(text.utf8)) }
    static let end = DecodedRequestPart.end(trailers: nil)

    var description: String {
        switch self {
        case .head(let method, let uri, let version, let fields): return "head(\(method) \(uri) \(version) \(fields))"
        case .body(let bytes): return "body(\(String(decoding: bytes, as: UTF8.self).debugDescription))"
        case .end(let trailers): return "end(\(trailers.map { "\($0)" } ?? "nil"))"
        case .bytes(let bytes): return "bytes(\(String(decoding: bytes, as: UTF8.self).debugDescription))"
        case .error(let error): return "error(\(error))"
        }
    }
}

/// How a run of the decoder ended.
struct RequestDecoderRun {
    var parts: [DecodedRequestPart] = []
    /// How many input bytes had been written when the error was thrown (nil when none was).
    var bytesFedAtError: Int?
}

/// Feeds `chunks` one read at a time to a `ByteToMessageHandler<ClientRequestDecoder>` in an `EmbeddedChannel`,
/// stopping at the first error, then optionally signals the end of the input or removes the handler.
///
/// - Parameters:
///   - joinBodies: join adjacent body parts (so that runs with different splits compare equal).
///   - endOfInput: signal the end of the input (`ChannelEvent.inputClosed`) after the last chunk.
///   - remove: remove the decoder from the pipeline after the last chunk (what a protocol switch does).
func runRequestDecoder(_ chunks: [[UInt8]], decoder: ClientRequestDecoder = ClientRequestDecoder(), joinBodies: Bool = true,
                endOfInput: Bool = false, remove: Bool = false) throws -> RequestDecoderRun {
    let channel = EmbeddedChannel()
    defer { _ = try? channel.finish(acceptAlreadyClosed: true) }
    let handler = ByteToMessageHandler(decoder)
    try channel.pipeline.syncOperations.addHandler(handler)
    var run = RequestDecoderRun()

    func collect() throws {
        while let item = try channel.readInbound(as: Any.self) {
            switch item {
            case let part as HTTPServerRequestPart:
                switch part {
                case .head(let head):
                    run.parts.append(.head(method: head.method, uri: head.uri, version: head.version,
                                           fields: head.headers.map { DecodedField($0.name, $0.value) }))
                case .body(let buffer):
                    if buffer.readableBytes == 0 { Issue.record("an empty body part") }
                    let bytes = Array(buffer.readableBytesView)
                    if joinBodies, case .body(let previous)? = run.parts.last {
                        run.parts[run.parts.count - 1] = .body(previous + bytes)
                    } else {
                        run.parts.append(.body(bytes))
                    }
                case .end(let trailers):
                    run.parts.append(.end(trailers: trailers.map { $0.map { DecodedField($0.name, $0.value) } }))
                }
            case let data as IOData:
                guard case .byteBuffer(let buffer) = data else { Issue.record("a file region"); continue }
                run.parts.append(.bytes(Array(buffer.readableBytesView)))
            case let buffer as ByteBuffer:
                run.parts.append(.bytes(Array(buffer.readableBytesView)))
            default:
                Issue.record("unexpected inbound \(type(of: item))")
            }
        }
    }

    var fed = 0
    for chunk in chunks {
        fed += chunk.count
        do {
            try channel.writeInbound(channel.allocator.buffer(bytes: chunk))
        } catch let error as ClientRequestError {
            try collect()
            run.parts.append(.error(error))
            run.bytesFedAtError = fed
            return run
        }
        try collect()
    }
    do {
        if endOfInput {
            channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            try channel.throwIfErrorCaught()
        }
        if remove {
            channel.pipeline.syncOperations.removeHandler(handler, promise: nil)
            channel.embeddedEventLoop.run()
            try channel.throwIfErrorCaught()
        }
    } catch let error as ClientRequestError {
        try collect()
        run.parts.append(.error(error))
        return run
    }
    try collect()
    return run
}

/// The parts `input` decodes to when it arrives in one read.
func decodeRequests(_ input: String, decoder: ClientRequestDecoder = ClientRequestDecoder(), endOfInput: Bool = false) throws -> [DecodedRequestPart] {
    try runRequestDecoder([Array(input.utf8)], decoder: decoder, endOfInput: endOfInput).parts
}

/// Checks that `input` decodes to `expected` whole, a byte at a time, and split in two at every byte boundary.
func expectDecodes(_ input: [UInt8], as expected: [DecodedRequestPart], decoder: ClientRequestDecoder = ClientRequestDecoder(),
                   endOfInput: Bool = false, remove: Bool = false,
                   sourceLocation: SourceLocation = #_sourceLocation) throws {
    func check(_ chunks: [[UInt8]], _ label: @autoclosure () -> String) throws -> Bool {
        let parts = try runRequestDecoder(chunks, decoder: decoder, endOfInput: endOfInput, remove: remove).parts
        // Raw bytes handed on at removal may arrive in several buffers: compare them joined.
        let joined = parts.reduce(into: [DecodedRequestPart]()) { result, part in
            if case .bytes(let more) = part, case .bytes(let previous)? = result.last {
                result[result.count - 1] = .bytes(previous + more)
            } else {
                result.append(part)
            }
        }
        guard joined == expected else {
            Issue.record("\(label()): got \(joined), expected \(expected)", sourceLocation: sourceLocation)
            return false
        }
        return true
    }
    guard try check([input], "whole") else { return }
    guard try check(input.map { [$0] }, "a byte at a time") else { return }
    for split in 1..<max(1, input.count) {
        guard try check([Array(input[..<split]), Array(input[split...])], "split at \(split)") else { return }
    }
}

func expectDecodes(_ input: String, as expected: [DecodedRequestPart], decoder: ClientRequestDecoder = ClientRequestDecoder(),
                   endOfInput: Bool = false, remove: Bool = false,
                   sourceLocation: SourceLocation = #_sourceLocation) throws {
    try expectDecodes(Array(input.utf8), as: expected, decoder: decoder, endOfInput: endOfInput, remove: remove,
                      sourceLocation: sourceLocation)
}

/// Checks that `input` is refused with `error` after the parts in `before`, however it is split.
func expectRefused(_ input: String, _ error: ClientRequestError, after before: [DecodedRequestPart] = [],
                   decoder: ClientRequestDecoder = ClientRequestDecoder(), endOfInput: Bool = false,
                   sourceLocation: SourceLocation = #_sourceLocation) throws {
    try expectDecodes(input, as: before + [.error(error)], decoder: decoder, endOfInput: endOfInput,
                      sourceLocation: sourceLocation)
}

/// A typical `kubectl get` request head (about 600 bytes, with a bearer token).
let kubectlGetRequestHead = "GET /api/v1/namespaces/verrazzano-system/pods?limit=500 HTTP/1.1\r\n"
    + "Host: verrazzano.example.com\r\n"
    + "User-Agent: kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46\r\n"
    + "Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json\r\n"
    + "Authorization: Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6IjFfX2tleSJ9.eyJpc3MiOiJodHRwczovL2tleWNsb2FrLmV4YW1wbGUuY29tL3JlYWxtcy92ZXJyYXp6YW5vLXN5c3RlbSIsInN1YiI6ImFkbWluIiwiYXVkIjoidmVycmF6emFuby1wa2NlIn0.c2lnbmF0dXJlX2J5dGVzX2hlcmVfYmFzZTY0dXJs\r\n"
    + "Kubectl-Command: kubectl get\r\n"
    + "Kubectl-Session: 6d1a7f7e-9b1e-4c57-b9cb-2f6a0c5e1f3d\r\n"
    + "Accept-Encoding: gzip\r\n"
    + "\r\n"
