/// The nearest known option to a mistyped one, by edit distance, for "did you mean --listen?".
struct OptionSuggestion {
    /// The options to choose from (`--listen`, `--log-level`, ...).
    var options: [String]

    /// The option nearest to `typed`, if one is near enough to be a likely typo (at most a third of its length
    /// different, and at least two edits allowed).
    func nearest(to typed: String) -> String? {
        let name = typed.split(separator: "=", maxSplits: 1).first.map(String.init) ?? typed
        var best: (option: String, distance: Int)?
        for option in options {
            let distance = Self.editDistance(Array(name.utf8), Array(option.utf8))
            if distance < (best?.distance ?? Int.max) { best = (option, distance) }
        }
        guard let best, best.distance > 0, best.distance <= max(2, name.utf8.count / 3) else { return nil }
        return best.option
    }

    /// The long options (`--name`) mentioned in a help text.
    static func options(inHelp help: String) -> [String] {
        var found: [String] = []
        var seen: Set<String> = []
        let bytes = Array(help.utf8)
        var index = 0
        while index + 2 < bytes.count {
            let atStart = index == 0 || !Self.isNameByte(bytes[index - 1])
            if atStart, bytes[index] == UInt8(ascii: "-"), bytes[index + 1] == UInt8(ascii: "-"), Self.isLetter(bytes[index + 2]) {
                var end = index + 2
                while end < bytes.count, Self.isNameByte(bytes[end]) { end += 1 }
                let option = String(decoding: bytes[index..<end], as: UTF8.self)
                if seen.insert(option).inserted { found.append(option) }
                index = end
            } else {
                index += 1
            }
        }
        return found
    }

    /// Levenshtein distance (insertions, deletions and substitutions each cost one).
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        isLetter(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}
