import Foundation
import Testing

/// A real headless Chromium through `vzauth sandbox` (the built binary): the console's single sign-on as alice,
/// logout and a new login; then a `vzauth login` browser flow completed in the same browser.
@Suite("vzauth sandbox in a real headless Chromium", .serialized)
struct SandboxBrowserTests {
    @Test("console login as alice, logout, asked to log in again; vzauth login's browser flow")
    func consoleAndLogin() async throws {
        let chromium = try #require(HeadlessChromium.executable, """
            Chromium is not installed: install Debian's chromium (apt-get install -y chromium; .ci/run does) or \
            set CHROMIUM to a Chromium binary
            """)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-sandbox-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sandbox = try await SandboxTests.start(directory)
        defer { sandbox.stop(grace: .seconds(10)) }
        let summary = try SandboxTests.summary(directory)
        let alice = try #require(summary.users.first { $0.name == "alice" })
        let loginPage = summary.issuer + "/protocol/openid-connect/auth?"

        try await HeadlessChromium.with(executable: chromium) { browser in
            // 1. The console sends the browser to the provider's login page; alice logs in.
            try await browser.navigate(to: summary.console)
            _ = try await browser.waitForPage { $0.url.hasPrefix(loginPage) }
            try await ChromiumLoginTests.submitLogin(browser, username: "alice", password: alice.password)
            let console = try await browser.waitForPage { $0.url.hasPrefix(summary.console) && $0.text.contains("Hello, alice") }
            #expect(console.text.contains("verrazzano-admins"), "\(console.text)")

            // 2. Logout ends both sessions; the console asks for a login again.
            try await browser.navigate(to: summary.console + "_logout")
            _ = try await browser.waitForPage { $0.url.hasPrefix(loginPage) }
            try await browser.navigate(to: summary.console)
            let again = try await browser.waitForPage { $0.url.hasPrefix(loginPage) }
            #expect(!again.text.contains("Hello, alice"))

            // 3. vzauth login in the browser: it prints the URL, the browser logs in, kubectl's credential comes out.
            let login = try BackgroundCommand(BinaryLifecycleTests.binary, [
                "login", "--issuer", summary.issuer, "--no-browser", "--cache-dir", directory + "/browser-test-cache",
            ])
            defer { login.stop() }
            #expect(await login.waitFor { $0.contains(summary.issuer + "/protocol/openid-connect/auth?") }, "\(login.text)")
            let text = login.text
            let start = try #require(text.range(of: summary.issuer + "/protocol/openid-connect/auth?"))
            let url = String(text[start.lowerBound...].prefix { !$0.isWhitespace })
            try await browser.navigate(to: url)
            _ = try await browser.waitForPage { $0.url.hasPrefix(loginPage) }
            try await ChromiumLoginTests.submitLogin(browser, username: "alice", password: alice.password)
            #expect(await login.waitFor(timeout: .seconds(30)) { $0.contains("\"kind\":\"ExecCredential\"") || $0.contains("ExecCredential") },
                    "\(login.text)")
        }
    }
}
