import Foundation
import NIOCore
import Yams

/// Reads a YAML document (JSON is YAML) as kube-apiserver reads server-side apply bodies and `application/yaml`
/// request bodies: sigs.k8s.io/yaml on go-yaml v2 (its `goyaml.v2` fork of gopkg.in/yaml.v2 v2.4.0, or
/// go.yaml.in/yaml/v2) turns the document into JSON, typing plain scalars by go-yaml v2's YAML 1.1 rules, and the
/// JSON is decoded with numbers kept as int64 or float64 (k8s.io/apimachinery `util/yaml.Unmarshal`).
///
/// Parsing is libyaml's (Yams), of which go-yaml v2's scanner is a port; what differs between the two is evened out:
///
/// - Escapes in double-quoted scalars. libyaml (Yams 6.2.2, `CYaml/src/scanner.c`, `yaml_parser_scan_flow_scalar`)
///   accepts `\0 \a \b \t \<TAB> \n \v \f \r \e \<SPACE> \" \/ \\ \N \_ \L \P \x \u \U`; go-yaml v2 (`scannerc.go`,
///   the same function) accepts the same list with `\'` in place of `\/` (`\/` came with YAML 1.2). So `\/`, which
///   Foundation's `JSONEncoder` writes for `/` unless told otherwise, is refused here as by the API server
///   (`found unknown escape character`), and `\'` is read as there (libyaml alone would refuse it).
/// - Plain scalars are typed as go-yaml v2's `resolve` does: empty, `~` and `null` are null; `true`, `yes`, `on`,
///   `y` (and their capitalised forms) and the `false`, `no`, `off`, `n` family are booleans; integers are decimal,
///   `0x`, `0o`, `0b` or leading-`0` octal, `_` ignored; floats; anything else (timestamps too) is a string.
///   Quoted and block scalars are strings. Numbers then pass through JSON as in the API server: a float with an
///   integral value (`1.0`, `1e3`) becomes an integer; `.nan` and `.inf` cannot be converted.
/// - Only the first document is read.
///
/// Known differences: repeated mapping keys are refused (go-yaml v2 keeps the last), `<<` merge keys are kept as
/// plain keys, explicit tags other than `!!str` and `!` are ignored, and the wording of errors other than the
/// escape error is approximated from go-yaml v2's `(*parser).fail`.
enum KubeEmulatorYAML {
    /// Why a document cannot be read, worded as what follows `error decoding YAML: ` in the API server's message,
    /// e.g. `error converting YAML to JSON: yaml: found unknown escape character`.
    struct Failure: Error {
        var message: String
    }

    /// The document as a JSON object, as the API server decodes an apply body into `map[string]interface{}`:
    /// an empty document or `null` is an empty object; a document that is not a mapping fails.
    static func object(_ bytes: ByteBuffer) throws(Failure) -> [String: KubeEmulatorJSON] {
        switch try self.value(bytes) {
        case nil, .null?: return [:]
        case .object(let members)?: return members
        case let value?:
            let type = switch value {
            case .array: "array"
            case .string: "string"
            case .bool: "bool"
            default: "number"
            }
            throw Failure(message: "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal \(type) into Go value of type map[string]interface {}")
        }
    }

    /// The first document as a JSON value; `nil` when there is none.
    static func value(_ bytes: ByteBuffer) throws(Failure) -> KubeEmulatorJSON? {
        if let json = try self.jsonDocument(bytes) {
            return json
        }
        guard let text = String(validating: bytes.readableBytesView, as: UTF8.self) else {
            throw Failure(message: "error converting YAML to JSON: yaml: invalid leading UTF-8 octet")
        }
        return try self.value(text)
    }

    /// The first document of `text` as a JSON value; `nil` when there is none.
    static func value(_ text: String) throws(Failure) -> KubeEmulatorJSON? {
        var source = Source(text)
        // Each `\'` libyaml refuses is rewritten as `'` (what go-yaml v2 reads it as) and the text parsed again.
        while true {
            do {
                let parser = try Parser(yaml: source.text, resolver: .basic)
                guard let root = try parser.nextRoot() else { return nil }
                if source.hasBackslash { try source.checkEscapes(root) }
                return try self.json(root)
            } catch let error as YamlError {
                if case .scanner(_, "found unknown escape character", let mark, _) = error,
                   source.unescapeSingleQuote(at: mark) {
                    continue
                }
                throw Failure(message: "error converting YAML to JSON: " + Self.goYAMLMessage(error))
            } catch let failure as Failure {
                throw failure
            } catch {
                throw Failure(message: "error converting YAML to JSON: yaml: \(error)")
            }
        }
    }

    /// A document that is JSON text of printable ASCII, read as JSON, which gives what reading it as YAML gives
    /// (about six times faster; most apply bodies are such JSON): within that text the only differences are the
    /// escapes go-yaml v2 refuses (`\/` and `\u` of a surrogate, refused here with its words) and numbers, which go
    /// through the same JSON conversion. `nil` for anything else, which is read as YAML.
    private static func jsonDocument(_ bytes: ByteBuffer) throws(Failure) -> KubeEmulatorJSON? {
        // Where go-yaml v2 would refuse an escape: the escape, its 0-based line, and the problem.
        let (printableASCII, refused) = bytes.withUnsafeReadableBytes { raw -> (Bool, (line: Int, problem: String)?) in
            var refused: (line: Int, problem: String)?
            var line = 0
            var index = 0
            while index < raw.count {
                let byte = raw[index]
                switch byte {
                case 0x20...0x7E, 0x09:
                    break
                case 0x0A:
                    line += 1
                case 0x0D:
                    if index + 1 == raw.count || raw[index + 1] != 0x0A { line += 1 }
                default:
                    return (false, nil)
                }
                // In valid JSON every backslash escapes a character of a string.
                if byte == UInt8(ascii: "\\"), index + 1 < raw.count, refused == nil {
                    index += 1
                    if raw[index] == UInt8(ascii: "/") {
                        refused = (line, "found unknown escape character")
                    } else if raw[index] == UInt8(ascii: "u"), index + 2 < raw.count, raw[index + 1] | 0x20 == UInt8(ascii: "d"),
                              (UInt8(ascii: "8")...UInt8(ascii: "9")).contains(raw[index + 2])
                                || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(raw[index + 2] | 0x20) {
                        refused = (line, "found invalid Unicode character escape code")
                    }
                }
                index += 1
            }
            return (true, refused)
        }
        guard printableASCII, let value = try? KubeEmulatorJSON.parse(bytes) else {
            return nil
        }
        if let (line, problem) = refused {
            let location = line == 0 ? "" : "line \(line + 1): "
            throw Failure(message: "error converting YAML to JSON: yaml: \(location)\(problem)")
        }
        return Self.convertingNumbers(value)
    }

    /// Floats as they come back from the API server's JSON round trip: integral values below 1e21 as integers.
    private static func convertingNumbers(_ value: KubeEmulatorJSON) -> KubeEmulatorJSON {
        switch value {
        case .number(let number):
            if number == number.rounded(), abs(number) < 1e21, let integer = Int64(exactly: number) {
                return .integer(integer)
            }
            return value
        case .array(let items):
            return .array(items.map(Self.convertingNumbers))
        case .object(let members):
            return .object(members.mapValues(Self.convertingNumbers))
        default:
            return value
        }
    }

    // MARK: - Node to JSON

    private static func json(_ node: Node) throws(Failure) -> KubeEmulatorJSON {
        switch node {
        case .scalar(let scalar):
            return try self.json(scalar)
        case .sequence(let sequence):
            var items: [KubeEmulatorJSON] = []
            items.reserveCapacity(sequence.count)
            for item in sequence { items.append(try self.json(item)) }
            return .array(items)
        case .mapping(let mapping):
            var members: [String: KubeEmulatorJSON] = [:]
            members.reserveCapacity(mapping.count)
            for (key, value) in mapping {
                members[try self.key(key)] = try self.json(value)
            }
            return .object(members)
        case .alias:
            return .null
        }
    }

    private static func json(_ scalar: Node.Scalar) throws(Failure) -> KubeEmulatorJSON {
        let tag = scalar.tag.description
        guard scalar.style == .plain, tag != Tag.Name.str.rawValue, tag != Tag.Name.nonSpecific.rawValue else {
            return .string(scalar.string)
        }
        switch Resolved(plain: scalar.string) {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .integer(let value): return .integer(value)
        case .unsigned(let value): return .number(Double(value))
        case .string(let value): return .string(value)
        case .float(let value):
            guard value.isFinite else {
                let printed = value.isNaN ? "NaN" : value > 0 ? "+Inf" : "-Inf"
                throw Failure(message: "error converting YAML to JSON: json: unsupported value: \(printed)")
            }
            // encoding/json writes an integral float below 1e21 without a fraction, which reads back as int64.
            if value == value.rounded(), abs(value) < 1e21, let integer = Int64(exactly: value) {
                return .integer(integer)
            }
            return .number(value)
        }
    }

    /// A mapping key as sigs.k8s.io/yaml turns it into a JSON key: scalars become their string form.
    private static func key(_ node: Node) throws(Failure) -> String {
        guard case .scalar(let scalar) = node else {
            throw Failure(message: "error converting YAML to JSON: yaml: invalid map key")
        }
        guard scalar.style == .plain else { return scalar.string }
        switch Resolved(plain: scalar.string) {
        case .string(let value): return value
        case .integer(let value): return String(value)
        case .unsigned(let value): return String(value)
        case .bool(let value): return value ? "true" : "false"
        case .float(let value):
            if value.isNaN { return ".nan" }
            if value.isInfinite { return value > 0 ? ".inf" : "-.inf" }
            return "\(Float(value))"
        case .null:
            throw Failure(message: "error converting YAML to JSON: unsupported map key of type: %!s(<nil>), key: <nil>")
        }
    }

    /// go-yaml v2's wording of a parse error (`(*parser).fail`): `yaml: line N: problem`, where N is the problem's
    /// 0-based line, plus one for scanner errors, or the context's line, and no line at all when that is 0.
    private static func goYAMLMessage(_ error: YamlError) -> String {
        func located(_ problem: String, _ mark: Mark, _ context: YamlError.Context?, scanner: Bool) -> String {
            var line = mark.line - 1
            if line != 0 {
                if scanner { line += 1 }
            } else {
                line = (context?.mark.line ?? 1) - 1
            }
            return line == 0 ? "yaml: \(problem)" : "yaml: line \(line): \(problem)"
        }
        switch error {
        case .scanner(let context, let problem, let mark, _):
            return located(problem, mark, context, scanner: true)
        case .parser(let context, let problem, let mark, _):
            return located(problem, mark, context, scanner: false)
        case .composer(_, let problem, _, _), .reader(let problem, _, _, _):
            return "yaml: \(problem)"
        case .duplicatedKeysInMapping(let duplicates, _):
            return "yaml: mapping keys repeat (\(duplicates.joined(separator: ", "))); kube-apiserver keeps the last value, the API server double refuses the body"
        default:
            return "yaml: \(error)"
        }
    }
}

// MARK: - Plain scalars

/// A plain scalar typed as go-yaml v2's `resolve` types it (YAML 1.1, tag `""`).
private enum Resolved {
    case null
    case bool(Bool)
    case integer(Int64)
    case unsigned(UInt64)
    case float(Double)
    case string(String)

    private static let fixed: [String: Resolved] = {
        var table: [String: Resolved] = [:]
        for word in ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"] { table[word] = .bool(true) }
        for word in ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"] { table[word] = .bool(false) }
        for word in ["", "~", "null", "Null", "NULL"] { table[word] = .null }
        for word in [".nan", ".NaN", ".NAN"] { table[word] = .float(.nan) }
        for word in [".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"] { table[word] = .float(.infinity) }
        for word in ["-.inf", "-.Inf", "-.INF"] { table[word] = .float(-.infinity) }
        return table
    }()

    init(plain text: String) {
        if let fixed = Self.fixed[text] {
            self = fixed
            return
        }
        switch text.utf8.first ?? 0 {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            // Timestamps (`2001-12-14`) are tried first there but kept as strings; they are no numbers either.
            let plain = text.replacingOccurrences(of: "_", with: "")
            if let value = Self.parseInteger(plain) {
                self = .integer(value)
            } else if let value = Self.parseUnsigned(plain) {
                self = .unsigned(value)
            } else if Self.isYAMLStyleFloat(plain), let value = Double(plain) {
                self = .float(value)
            } else {
                self = .string(text)
            }
        case UInt8(ascii: "."):
            self = Double(text).map { .float($0) } ?? .string(text)
        default:
            self = .string(text)
        }
    }

    /// Go's `strconv.ParseInt(text, 0, 64)`: an optional sign, then `0x`, `0o`, `0b`, `0` (octal) or decimal.
    private static func parseInteger(_ text: String) -> Int64? {
        var digits = Substring(text)
        var negative = false
        if let sign = digits.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        guard let magnitude = self.parseUnsigned(String(digits)) else { return nil }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// Go's `strconv.ParseUint(text, 0, 64)`.
    private static func parseUnsigned(_ text: String) -> UInt64? {
        let lower = text.lowercased()
        let (radix, digits): (Int, Substring) =
            if lower.hasPrefix("0x") { (16, lower.dropFirst(2)) }
            else if lower.hasPrefix("0o") { (8, lower.dropFirst(2)) }
            else if lower.hasPrefix("0b") { (2, lower.dropFirst(2)) }
            else if lower.hasPrefix("0"), lower.count > 1 { (8, lower.dropFirst()) }
            else { (10, Substring(lower)) }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isHexDigit }) else { return nil }
        return UInt64(digits, radix: radix)
    }

    /// go-yaml v2's `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
    private static func isYAMLStyleFloat(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        func digits() -> Int {
            let count = bytes.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }.count
            bytes = bytes.dropFirst(count)
            return count
        }
        if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            guard digits() > 0 else { return false }
        } else {
            guard digits() > 0 else { return false }
            if bytes.first == UInt8(ascii: ".") {
                bytes = bytes.dropFirst()
                _ = digits()
            }
        }
        if let exponent = bytes.first, exponent == UInt8(ascii: "e") || exponent == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return bytes.isEmpty
    }
}

// MARK: - Escapes

/// The text being read, by Unicode scalar (libyaml counts columns in scalars), with its line starts.
private struct Source {
    private(set) var text: String
    private var scalars: [Unicode.Scalar]
    /// The scalar index of each line's first character; a leading byte order mark is no character.
    private var lineStarts: [Int] = []
    let hasBackslash: Bool

    init(_ text: String) {
        self.text = text
        self.hasBackslash = text.utf8.contains(UInt8(ascii: "\\"))
        self.scalars = self.hasBackslash ? Array(text.unicodeScalars) : []
        self.indexLines()
    }

    /// Line breaks as libyaml counts them: CR LF, CR, LF, NEL, LS, PS.
    private static func isBreak(_ scalar: Unicode.Scalar) -> Bool {
        ["\r", "\n", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar)
    }

    private mutating func indexLines() {
        guard self.hasBackslash else { return }
        self.lineStarts = [self.scalars.first == "\u{FEFF}" ? 1 : 0]
        var index = 0
        while index < self.scalars.count {
            let scalar = self.scalars[index]
            index += 1
            if Self.isBreak(scalar) {
                if scalar == "\r", index < self.scalars.count, self.scalars[index] == "\n" { index += 1 }
                self.lineStarts.append(index)
            }
        }
    }

    private func index(_ mark: Mark) -> Int? {
        let line = mark.line - 1
        guard line >= 0, line < self.lineStarts.count else { return nil }
        let index = self.lineStarts[line] + mark.column - 1
        return index < self.scalars.count ? index : nil
    }

    /// The 0-based line of a scalar index.
    private func line(of index: Int) -> Int {
        var low = 0
        var high = self.lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if self.lineStarts[middle] <= index { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// Rewrites the `\'` at `mark` as `'`; false when there is none there.
    mutating func unescapeSingleQuote(at mark: Mark) -> Bool {
        guard let index = self.index(mark), index + 1 < self.scalars.count,
              self.scalars[index] == "\\", self.scalars[index + 1] == "'" else {
            return false
        }
        self.scalars.remove(at: index)
        var view = String.UnicodeScalarView()
        view.append(contentsOf: self.scalars)
        self.text = String(view)
        self.lineStarts = []
        self.indexLines()
        return true
    }

    /// Refuses, in every double-quoted scalar of `node` in document order, the first escape go-yaml v2 refuses.
    func checkEscapes(_ node: Node) throws(KubeEmulatorYAML.Failure) {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .doubleQuoted, let mark = scalar.mark, let start = self.index(mark) {
                try self.checkDoubleQuoted(from: start)
            }
        case .sequence(let sequence):
            for item in sequence { try self.checkEscapes(item) }
        case .mapping(let mapping):
            for (key, value) in mapping {
                try self.checkEscapes(key)
                try self.checkEscapes(value)
            }
        case .alias:
            break
        }
    }

    /// Scans the double-quoted scalar starting at (or, after an anchor or tag, after) `start`.
    private func checkDoubleQuoted(from start: Int) throws(KubeEmulatorYAML.Failure) {
        var index = start
        while index < self.scalars.count, self.scalars[index] != "\"" { index += 1 }
        index += 1
        while index < self.scalars.count {
            switch self.scalars[index] {
            case "\"":
                return
            case "\\" where index + 1 < self.scalars.count:
                let escaped = self.scalars[index + 1]
                switch escaped {
                case "x": index += 4
                case "u": index += 6
                case "U": index += 10
                case "0", "a", "b", "t", "\t", "n", "v", "f", "r", "e", " ", "\"", "'", "\\", "N", "_", "L", "P":
                    index += 2
                case _ where Self.isBreak(escaped):
                    index += 2
                default:
                    // go-yaml v2 (`(*parser).fail`): the 0-based line of the problem, plus one, unless it is 0.
                    let line = self.line(of: index)
                    let location = line == 0 ? "" : "line \(line + 1): "
                    throw KubeEmulatorYAML.Failure(
                        message: "error converting YAML to JSON: yaml: \(location)found unknown escape character")
                }
            default:
                index += 1
            }
        }
    }
}
