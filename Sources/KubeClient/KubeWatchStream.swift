import AsyncHTTPClient
import Foundation
import KubeModels
import NIOCore
import NIOFoundationCompat

/// One change reported by a watch.
public struct KubeWatchEvent<Object: Decodable & Sendable>: Sendable {
    /// What happened to the object.
    public enum EventType: String, Sendable, Hashable {
        /// The object was created (or existed when a watch without `resourceVersion` started).
        case added = "ADDED"
        /// The object changed.
        case modified = "MODIFIED"
        /// The object was deleted; the event carries its last state.
        case deleted = "DELETED"
        /// A progress marker: only `metadata.resourceVersion` of the object is meaningful.
        case bookmark = "BOOKMARK"
    }

    /// What happened.
    public var type: EventType
    /// The object after the change (before deletion for ``EventType/deleted``).
    public var object: Object

    /// Creates an event.
    public init(type: EventType, object: Object) {
        self.type = type
        self.object = object
    }
}

/// The events of a watch, decoded from the API server's newline-delimited JSON stream as they arrive.
///
/// The sequence ends when the server closes the stream (its `timeoutSeconds` elapsed): watch again from the last
/// seen `resourceVersion`. An `ERROR` event ends it by throwing a ``KubeAPIError``; when that error
/// ``KubeAPIError/isGone`` the version is too old: list again and watch from the list's version.
/// Dropping the iterator cancels the underlying request.
public struct KubeWatchStream<Object: Decodable & Sendable>: AsyncSequence, Sendable {
    /// A watch event.
    public typealias Element = KubeWatchEvent<Object>

    let body: HTTPClientResponse.Body
    let maximumEventSize: Int

    /// Starts reading events.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(body: self.body.makeAsyncIterator(), maximumEventSize: self.maximumEventSize)
    }

    /// Reads and decodes one line at a time.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private var body: HTTPClientResponse.Body.AsyncIterator
        private var buffer = ByteBuffer()
        private var finished = false
        private let maximumEventSize: Int

        init(body: HTTPClientResponse.Body.AsyncIterator, maximumEventSize: Int) {
            self.body = body
            self.maximumEventSize = maximumEventSize
        }

        /// The next event, `nil` when the server ended the stream.
        public mutating func next() async throws -> KubeWatchEvent<Object>? {
            while true {
                if let newline = self.buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                    let length = newline - self.buffer.readerIndex
                    let line = self.buffer.readSlice(length: length)!
                    self.buffer.moveReaderIndex(forwardBy: 1)
                    if line.readableBytesView.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) {
                        continue
                    }
                    return try Self.decode(line)
                }
                if self.finished {
                    guard self.buffer.readableBytes > 0 else { return nil }
                    let line = self.buffer.readSlice(length: self.buffer.readableBytes)!
                    return try Self.decode(line)
                }
                if let chunk = try await self.body.next() {
                    self.buffer.discardReadBytes()
                    self.buffer.writeImmutableBuffer(chunk)
                    if self.buffer.readableBytes > self.maximumEventSize,
                       !self.buffer.readableBytesView.contains(UInt8(ascii: "\n")) {
                        throw KubeAPIError.responseTooLarge(self.maximumEventSize)
                    }
                } else {
                    self.finished = true
                }
            }
        }

        private struct TypeOnly: Decodable { var type: String }
        private struct ErrorEvent: Decodable { var object: KubeStatus }
        private struct Event: Decodable {
            var type: String
            var object: Object
        }

        static func decode(_ line: ByteBuffer) throws -> KubeWatchEvent<Object> {
            let decoder = JSONDecoder()
            let type: String
            do {
                type = try decoder.decode(TypeOnly.self, from: line).type
            } catch {
                throw KubeAPIError.invalidResponse("not a watch event: \(error)")
            }
            if type == "ERROR" {
                let status = try? decoder.decode(ErrorEvent.self, from: line).object
                guard let status else { throw KubeAPIError.invalidResponse("an ERROR watch event without a Status") }
                throw KubeAPIError(status: status, httpCode: status.code ?? 500)
            }
            guard let eventType = KubeWatchEvent<Object>.EventType(rawValue: type) else {
                throw KubeAPIError.invalidResponse("unknown watch event type \"\(type)\"")
            }
            do {
                return KubeWatchEvent(type: eventType, object: try decoder.decode(Event.self, from: line).object)
            } catch {
                throw KubeAPIError.invalidResponse("cannot decode the \(type) event's \(Object.self): \(error)")
            }
        }
    }
}
