import Foundation
import VZAuthTestSupport

/// A real headless Chromium driven over the DevTools protocol: its own cookie jar, redirects, HTML forms and
/// navigation rules, for login flows that a hand-written client could get subtly wrong.
///
/// Each call opens a short WebSocket session to the one page (`--remote-allow-origins=*`, since the client sends an
/// `Origin`), sends one command and reads its answer; no protocol domain is enabled, so no events come in between.
/// The browser runs with a fresh profile in a temporary directory, without sandbox (tests may run as root) and
/// without proxies.
final class HeadlessChromium {
    /// What a page shows: its URL, title, `document.readyState` and text (`innerText` of the body; a JSON answer's
    /// text is the JSON).
    struct Page: Sendable, CustomStringConvertible {
        var url: String
        var title: String
        var readyState: String
        var text: String

        var description: String { "\(url) [\(readyState)] \"\(title)\": \(text.prefix(600))" }
    }

    /// A DevTools command failed, or the browser could not be started.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Where Debian's `chromium` (or another Chromium) is installed, if anywhere: `$CHROMIUM` first.
    static var executable: String? {
        let candidates = [ProcessInfo.processInfo.environment["CHROMIUM"]].compactMap { $0 }
            + ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private let pageSocketURL: String
    private let client = BrowserClient(timeout: .seconds(10))
    private var lastID = 0

    private init(pageSocketURL: String) {
        self.pageSocketURL = pageSocketURL
    }

    /// Starts Chromium at `executable`, runs `body`, and stops the browser and removes its profile whatever
    /// `body` did.
    static func with<Value>(executable: String, _ body: (HeadlessChromium) async throws -> Value) async throws -> Value {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let process = try ChildProcess(executable, [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--disable-sync", "--disable-background-networking",
            "--disable-component-update", "--password-store=basic", "--no-proxy-server",
            "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable",
            "--remote-debugging-port=0", "--remote-allow-origins=*",
            "--user-data-dir=\(directory.appendingPathComponent("profile").path)", "about:blank",
        ])
        let endpoints = await Result<(port: Int, browserPath: String), any Error> {
            try await Self.devToolsEndpoints(directory: directory, process: process)
        }
        let outcome = await Result<Value, any Error> {
            let port = try endpoints.get().port
            return try await body(HeadlessChromium(pageSocketURL: Self.pageSocketURL(port: port)))
        }
        if case .success(let endpoints) = endpoints {
            // Closed over the protocol, the browser takes its helper processes down with it.
            let close = try? JSONSerialization.data(withJSONObject: ["id": 1, "method": "Browser.close"])
            _ = try? await BrowserClient(timeout: .seconds(5)).webSocketExchange(
                url: "ws://127.0.0.1:\(endpoints.port)\(endpoints.browserPath)",
                messages: [.text(String(decoding: close ?? Data(), as: UTF8.self))])
        }
        await Self.waitForExit(process)
        try? FileManager.default.removeItem(at: directory)
        return try outcome.get()
    }

    /// The DevTools port and the browser's WebSocket path, once the browser has written them to its profile.
    private static func devToolsEndpoints(directory: URL, process: ChildProcess) async throws -> (port: Int, browserPath: String) {
        let portFile = directory.appendingPathComponent("profile/DevToolsActivePort")
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            if let text = try? String(contentsOf: portFile, encoding: .utf8) {
                let lines = text.split(separator: "\n")
                if lines.count == 2, let port = Int(lines[0]) {
                    return (port, String(lines[1]))
                }
            }
            guard process.isRunning, ContinuousClock.now < deadline else {
                let output = process.text
                throw Failure(description: "Chromium did not open its DevTools port: \(output.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The DevTools WebSocket URL of the browser's first page.
    private static func pageSocketURL(port: Int) async throws -> String {
        let client = BrowserClient(timeout: .seconds(10))
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let list = try await client.get("http://127.0.0.1:\(port)/json/list")
            let targets = (try? JSONSerialization.jsonObject(with: Data(list.body))) as? [[String: Any]] ?? []
            if let page = targets.first(where: { $0["type"] as? String == "page" }),
               let socket = page["webSocketDebuggerUrl"] as? String {
                return socket
            }
            guard ContinuousClock.now < deadline else {
                throw Failure(description: "Chromium has no page target: \(list.text)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Waits up to 5 s for the browser to exit, then kills it (SIGKILL: it may have inherited SIGTERM blocked from
    /// the thread that started it).
    private static func waitForExit(_ process: ChildProcess) async {
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        await process.waitForExit()
    }

    // MARK: Commands

    /// Sends one DevTools command to the page and returns its `result`.
    func command(_ method: String, _ parameters: [String: Any] = [:]) async throws -> [String: Any] {
        self.lastID += 1
        let id = self.lastID
        let message = try JSONSerialization.data(withJSONObject: ["id": id, "method": method, "params": parameters])
        let replies = try await self.client.webSocketExchange(
            url: self.pageSocketURL, messages: [.text(String(decoding: message, as: UTF8.self))])
        guard case .text(let text) = replies.first,
              let reply = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw Failure(description: "\(method): no answer (\(replies))")
        }
        if let error = reply["error"] {
            throw Failure(description: "\(method): \(error)")
        }
        return reply["result"] as? [String: Any] ?? [:]
    }

    /// Evaluates `expression` in the page and returns its value (strings, numbers, booleans, JSON-like objects).
    func evaluate(_ expression: String) async throws -> Any? {
        let result = try await self.command("Runtime.evaluate", ["expression": expression, "returnByValue": true])
        if let exception = result["exceptionDetails"] {
            throw Failure(description: "\(expression): \(exception)")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Starts a top-level navigation to `url`, as typing it into the address bar would.
    func navigate(to url: String) async throws {
        let result = try await self.command("Page.navigate", ["url": url])
        if let error = result["errorText"] as? String, !error.isEmpty {
            throw Failure(description: "navigating to \(url): \(error)")
        }
    }

    /// What the page shows now; `nil` while no document can answer (between two documents of a navigation).
    func page() async -> Page? {
        let script = """
            JSON.stringify({url: location.href, title: document.title, readyState: document.readyState,
                            text: document.body ? document.body.innerText : ""})
            """
        guard let json = try? await self.evaluate(script) as? String,
              let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String] else {
            return nil
        }
        return Page(url: object["url"] ?? "", title: object["title"] ?? "", readyState: object["readyState"] ?? "",
                    text: object["text"] ?? "")
    }

    /// Waits until a completely loaded page satisfies `condition`, at most `timeout`.
    ///
    /// - Throws: ``Failure`` naming the last page seen when the time is up.
    @discardableResult
    func waitForPage(timeout: Duration = .seconds(15), _ condition: (Page) -> Bool) async throws -> Page {
        let deadline = ContinuousClock.now + timeout
        var last: Page?
        while ContinuousClock.now < deadline {
            if let page = await self.page() {
                last = page
                if page.readyState == "complete", condition(page) { return page }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "no page as expected within \(timeout); last seen: \(last.map { "\($0)" } ?? "none")")
    }

    /// The browser's cookies for `url` (HttpOnly ones included): name to value.
    func cookies(for url: String) async throws -> [String: String] {
        let result = try await self.command("Network.getCookies", ["urls": [url]])
        let cookies = result["cookies"] as? [[String: Any]] ?? []
        return Dictionary(cookies.compactMap { cookie in
            (cookie["name"] as? String).map { ($0, cookie["value"] as? String ?? "") }
        }, uniquingKeysWith: { first, _ in first })
    }
}
