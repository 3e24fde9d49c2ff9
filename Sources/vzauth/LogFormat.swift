/// How log lines are written: `text` (`time level label: key=value ... message`, for people) or `json` (one JSON
/// object a line with `time`, `level`, `msg` and the metadata as fields, for log pipelines).
enum LogFormat: String, CaseIterable, Sendable {
    case text
    case json

    /// The format `flag` names, else `log-format` in `file`, else text; an unknown one is added to `problems` (then
    /// the result is `nil`).
    static func resolve(_ flag: String?, file: inout ConfigFile, problems: inout [String]) -> LogFormat? {
        let text = flag ?? file.string("log-format") ?? "text"
        guard let format = LogFormat(rawValue: text.lowercased()) else {
            problems.append("--log-format must be json or text, got \"\(text)\"")
            return nil
        }
        return format
    }
}
