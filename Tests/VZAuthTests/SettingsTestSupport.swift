import Foundation
@testable import vzauth

/// The problems a subcommand's settings `resolve` reports (another error counts as one problem); none when it
/// succeeds.
func settingsProblems<Settings>(_ resolve: () throws -> Settings) -> [String] {
    do {
        _ = try resolve()
        return []
    } catch let error as SettingsProblems {
        return error.messages
    } catch {
        return ["\(error)"]
    }
}

/// Writes `text` to a new temporary `--config` file and returns its path.
func writeConfigFile(_ text: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("vzauth-\(UUID().uuidString).yaml").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}
