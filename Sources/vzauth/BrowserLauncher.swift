import Foundation

/// Opens a URL with the desktop's opener (`xdg-open` on Linux, `open` on macOS), if there is one; its output goes to
/// stderr so stdout stays kubectl's.
enum BrowserLauncher {
    static func open(_ url: String) {
        #if os(macOS)
        let names = ["open"]
        #else
        let names = ["xdg-open"]
        #endif
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for name in names {
            for directory in path.split(separator: ":") {
                let candidate = "\(directory)/\(name)"
                guard FileManager.default.isExecutableFile(atPath: candidate) else { continue }
                let process = Process()
                process.executableURL = URL(fileURLWithPath: candidate)
                process.arguments = [url]
                process.standardInput = FileHandle.nullDevice
                process.standardOutput = FileHandle.standardError
                process.standardError = FileHandle.standardError
                guard (try? process.run()) != nil else { continue }
                DispatchQueue.global().async { process.waitUntilExit() }
                return
            }
        }
    }
}
