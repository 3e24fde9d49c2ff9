import ArgumentParser
import Foundation
import Logging
import Testing
@testable import vzauth

/// `--log-format json`: one JSON object a line, with `time`, `level`, `msg` and the metadata as fields.
@Suite("JSON log lines")
struct JSONLogLineTests {
    private func parse(_ line: String) throws -> [String: Any] {
        #expect(!line.contains("\n"), "one line")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test("time, level, msg and logger, then the metadata as top-level fields")
    func fields() throws {
        let line = JSONLogLine.format(time: "2026-12-07T11:22:33.456Z", level: .warning, label: "vzauth.api-proxy",
                                      message: "listening", metadata: ["listener": "api", "port": "8775"])
        #expect(line == #"{"time":"2026-12-07T11:22:33.456Z","level":"warning","msg":"listening","logger":"vzauth.api-proxy","listener":"api","port":"8775"}"#)
        let object = try parse(line)
        #expect(object["level"] as? String == "warning" && object["listener"] as? String == "api")
    }

    @Test("quotes, backslashes, newlines, control characters and non-ASCII text are escaped as JSON requires")
    func escaping() throws {
        let message = "a \"quoted\" \\ path\nsecond line\ttab \u{01} bell \u{7F} é 日本 \u{2028}"
        let line = JSONLogLine.format(time: "t", level: .info, label: "l", message: message,
                                      metadata: ["key \"with\" quotes": .string("v\r\n")])
        #expect(!line.contains("\n") && !line.contains("\r") && !line.contains("\u{01}"))
        let object = try parse(line)
        #expect(object["msg"] as? String == message)
        #expect(object["key \"with\" quotes"] as? String == "v\r\n")
    }

    @Test("nested metadata: dictionaries become objects, arrays become arrays, string-convertibles strings")
    func nested() throws {
        let line = JSONLogLine.format(time: "t", level: .debug, label: "l", message: "m", metadata: [
            "request": ["method": "GET", "path": "/api", "headers": ["a", "b"]],
            "list": [.string("x"), .dictionary(["y": "z"]), .array([])],
            "count": .stringConvertible(42),
        ])
        let object = try parse(line)
        let request = try #require(object["request"] as? [String: Any])
        #expect(request["method"] as? String == "GET")
        #expect(request["headers"] as? [String] == ["a", "b"])
        let list = try #require(object["list"] as? [Any])
        #expect(list.count == 3 && list[0] as? String == "x" && (list[1] as? [String: String]) == ["y": "z"])
        #expect((list[2] as? [Any])?.isEmpty == true)
        #expect(object["count"] as? String == "42")
    }

    @Test("metadata keys colliding with time, level, msg or logger get a meta_ prefix; nothing is lost")
    func collisions() throws {
        let line = JSONLogLine.format(time: "2026-12-07T00:00:00.000Z", level: .error, label: "l", message: "the message",
                                      metadata: ["time": "mine", "level": "custom", "msg": "other", "logger": "x",
                                                 "meta_time": "already"])
        let object = try parse(line)
        #expect(object["time"] as? String == "2026-12-07T00:00:00.000Z")
        #expect(object["level"] as? String == "error" && object["msg"] as? String == "the message")
        #expect(object["meta_level"] as? String == "custom" && object["meta_msg"] as? String == "other")
        #expect(object["meta_logger"] as? String == "x")
        // `meta_time` is taken by the metadata itself: the colliding `time` moves one prefix further.
        #expect(object["meta_time"] as? String == "already" || object["meta_meta_time"] as? String == "already")
        #expect(Set([object["meta_time"] as? String, object["meta_meta_time"] as? String]) == ["already", "mine"])
    }

    @Test("the time is RFC 3339 in UTC with milliseconds")
    func timestamp() {
        let time = BufferedLogHandler.timestamp()
        #expect(time.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"#, options: .regularExpression) != nil, "\(time)")
    }

    @Test("--log-format: json or text, from the flag or the config file; text by default; anything else a problem")
    func setting() throws {
        let base = ["--oidc-issuer", "https://kc.example.com/realms/x", "--oidc-client-id", "c"]
        #expect(try APIProxySettings.resolve(APIProxyOptions.parse(base)).server.logFormat == .text)
        #expect(try APIProxySettings.resolve(APIProxyOptions.parse(base + ["--log-format", "json"])).server.logFormat == .json)
        let file = try writeConfigFile("log-format: json\n")
        #expect(try APIProxySettings.resolve(APIProxyOptions.parse(base + ["--config", file])).server.logFormat == .json)
        let found = settingsProblems { try APIProxySettings.resolve(APIProxyOptions.parse(base + ["--log-format", "yaml"])) }
        #expect(found == ["--log-format must be json or text, got \"yaml\""])
        let controller = try RBACControllerSettings.resolve(RBACControllerOptions.parse(["--config", file]))
        #expect(controller.logFormat == .json)
    }
}

@Suite("text log lines")
struct TextLogLineTests {
    @Test("one line whatever values and message hold: quoted JSON strings for values, escaped control characters")
    func oneLine() {
        let line = BufferedLogHandler.textLine(
            time: "2026-12-07T00:00:00.000Z", level: .warning, label: "vzauth.api-proxy",
            message: "forged\r\n2026-12-07T00:00:01.000Z info fake: \u{1B}[31mred",
            metadata: ["user": "eve\nadmin", "path": "/api/v1/pods", "empty": "", "quote": "a\"b", "esc": "\u{1B}[2J"])
        #expect(!line.contains("\n") && !line.contains("\r") && !line.contains("\u{1B}"), "\(line)")
        #expect(line == #"2026-12-07T00:00:00.000Z warning vzauth.api-proxy: empty="" esc="\u001b[2J" path=/api/v1/pods quote="a\"b" user="eve\nadmin" forged\r\n2026-12-07T00:00:01.000Z info fake: \u001b[31mred"#)
    }

    @Test("plain values and messages are written as they are")
    func plain() {
        #expect(BufferedLogHandler.textLine(time: "T", level: .info, label: "l", message: "listening",
                                            metadata: ["listener": "api", "address": "127.0.0.1:8775"])
            == "T info l: address=127.0.0.1:8775 listener=api listening")
    }
}
