import ArgumentParser

/// `--config FILE`, which every long-running subcommand takes: its settings as YAML, keys named like the flags (see
/// ``ConfigFile``). Flags win over the file.
struct ConfigOptions: ParsableArguments {
    @Option(help: "YAML file with these settings (keys named like the flags); flags win over the file.")
    var config: String?

    /// The file `--config` names, read and parsed; without `--config`, an empty one.
    func load() -> ConfigFile {
        config.map { ConfigFile(path: $0) } ?? ConfigFile()
    }
}
