import Foundation
import NIOCore
import NIOHTTP1
import Testing
@_spi(Fuzzing) @testable import ProxyCore
@testable import ServiceSupport

/// Our request decoder against NIO's (llhttp) on every input of the fuzz corpus and on hostile requests: each
/// request ours accepts whole must be read by NIO's decoder with the same method, target, version, header list, body
/// and trailers, or refused by it for one of llhttp's known stricter choices; otherwise ours refuses. The rules are
/// ``NIORequestDecoderComparison``'s, which the fuzz target `FuzzClientRequestDecoder` applies too.
@Suite("ClientRequestDecoder against NIO's HTTPRequestDecoder")
struct ClientRequestDecoderDifferentialTests {
    /// What our decoder made of `input` given all at once, in the comparison's terms.
    struct Ours {
        var parts: [NIORequestDecoderComparison.Part] = []
        /// For each request accepted whole: where it starts, where its head ends, where it ends.
        var boundaries: [[Int]] = []
        var error: ClientRequestError?
    }

    static func decode(_ input: [UInt8]) -> Ours {
        var decoder = ClientRequestDecoder()
        var buffer = ByteBufferAllocator().buffer(bytes: input)
        var ours = Ours()
        var start = 0
        var headEnd = 0
        do throws(ClientRequestError) {
            while true {
                let before = buffer.readerIndex
                guard let part = try decoder.nextPart(&buffer) else { break }
                switch part {
                case .head(let head):
                    start = before
                    headEnd = buffer.readerIndex
                    ours.parts.append(.head(.init(method: head.method.rawValue, uri: head.uri, minor: head.version.minor,
                                                  fields: head.headers.map { [$0.name, $0.value] })))
                case .body(let slice):
                    NIORequestDecoderComparison.Part.appendBody(Array(slice.readableBytesView), to: &ours.parts)
                case .end(let trailers):
                    ours.parts.append(.end(trailers: trailers.map { $0.map { [$0.name, $0.value] } }))
                    ours.boundaries.append([start, headEnd, buffer.readerIndex])
                }
            }
            try decoder.endOfInput()
        } catch {
            ours.error = error
        }
        // Parts of a request cut short are in `parts` too; the comparison looks only at requests accepted whole.
        return ours
    }

    /// Runs `input` through both decoders; returns whether ours accepted at least one request.
    @discardableResult
    static func expectAgreement(_ input: [UInt8], _ label: String) -> Bool {
        let ours = decode(input)
        let verdict = NIORequestDecoderComparison.compare(input, parts: ours.parts, boundaries: ours.boundaries, error: ours.error)
        if case .disagree(let message) = verdict {
            Issue.record("\(label): \(message)")
        }
        return !ours.boundaries.isEmpty
    }

    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/Corpus/FuzzClientRequestDecoder")

    @Test("every input of the fuzz corpus: NIO reads what ours accepts alike, or ours refuses")
    func corpusAgrees() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).sorted()
        #expect(names.count >= 100, "the corpus is at \(Self.corpus.path)")
        var accepted = 0
        for name in names {
            let data = try Data(contentsOf: Self.corpus.appendingPathComponent(name))
            // The fuzz target's first four bytes choose limits and a split; the client's bytes follow.
            guard data.count >= 4 else { continue }
            if Self.expectAgreement(Array(data.dropFirst(4)), name) { accepted += 1 }
        }
        // The check must have compared real requests, not only refusals.
        #expect(accepted >= 30, "only \(accepted) corpus inputs held a request ours accepted")
    }

    /// Requests built to make two parsers disagree about where a request ends or what it says.
    static let hostile: [String] = [
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /x HTTP/1.1\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding:\tchunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        "POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\nabc",
        "POST / HTTP/1.1\r\nContent-Length: 3, 03\r\n\r\nabc",
        "POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\nabc",
        "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 0x3\r\n\r\nabc",
        "POST / HTTP/1.1\r\nContent-Length: 3\t\r\n\r\nabc",
        "POST / HTTP/1.1\r\nContent-Length:\t3\r\n\r\nabc",
        "POST / HTTP/1.1\r\nContent-Length: 3 3\r\n\r\nabc",
        "POST / HTTP/1.1\r\nContent-Length: 003\r\n\r\nabc",
        "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 4611686018427387905\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 3\r\n Content-Length: 0\r\n\r\nabc",
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET / HTTP/1.1\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\u{0}b\r\n\r\n",
        "GET /  HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.2\r\n\r\n",
        "GET / HTTP/2.0\r\n\r\n",
        "GET http://a/ HTTP/1.1\r\n\r\n",
        "\r\n\r\nGET / HTTP/1.1\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;a=b;c=\"d\\\"e\"\r\nabc\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3 ;a\r\nabc\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;\r\nabc\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\nabc\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000000003\r\nabc\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nImpersonate-User: system:admin\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nContent-Length: 5\r\n\r\nGET / HTTP/1.1\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /second HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 33\r\nConnection: keep-alive, Content-Length\r\n\r\nGET /admin HTTP/1.1\r\nX-Ignore: ",
        "GET / HTTP/1.1\r\nConnection: Impersonate-User\r\nImpersonate-User: system:admin\r\n\r\n",
        "GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n",
        "POST / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 2\r\n\r\nabGET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nX: caf\u{E9}\r\n\r\n",
        "GET / HTTP/1.1\r\n\u{1}\u{2} garbage\r\n\r\n",
    ]

    @Test("hostile requests: NIO reads what ours accepts alike, or ours refuses", arguments: hostile)
    func hostileAgrees(_ input: String) {
        Self.expectAgreement(Array(input.utf8), input.debugDescription)
    }

    @Test("invalid UTF-8 in a value")
    func invalidUTF8() {
        Self.expectAgreement(Array("GET / HTTP/1.1\r\nX: a".utf8) + [0xC3, 0x28] + Array("\r\n\r\n".utf8), "invalid UTF-8")
    }

    @Test("the comparison notices when the two decoders read a request differently")
    func comparisonNoticesDisagreement() {
        let input = Array("GET /a HTTP/1.1\r\nX: 1\r\n\r\n".utf8)
        let wrong: [NIORequestDecoderComparison.Part] = [.head(.init(method: "GET", uri: "/b", minor: 1, fields: [["X", "1"]])),
                                                         .end(trailers: nil)]
        let verdict = NIORequestDecoderComparison.compare(input, parts: wrong, boundaries: [[0, input.count, input.count]], error: nil)
        guard case .disagree = verdict else {
            Issue.record("no disagreement found: \(verdict)")
            return
        }
        let ours = Self.decode(input)
        #expect(NIORequestDecoderComparison.compare(input, parts: ours.parts, boundaries: ours.boundaries, error: ours.error)
                == .agree(notes: []))
    }
}
