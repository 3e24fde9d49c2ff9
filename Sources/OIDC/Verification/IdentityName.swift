/// The one rule for user, group and role names that the proxies send in HTTP headers (`Impersonate-User`,
/// `Impersonate-Group`, `X-WEBAUTH-USER`, `X-Forwarded-User`, `X-Forwarded-Groups`, `x-proxy-roles`): a name
/// either reaches the receiver exactly as the token has it, or it is refused.
///
/// A name is refused when it
/// - is empty;
/// - contains a control character: C0 (U+0000–U+001F), DEL (U+007F) or C1 (U+0080–U+009F), which can end or split
///   a header line;
/// - begins or ends with a character of the Unicode `White_Space` property (``Unicode/Scalar/Properties/isWhitespace``:
///   U+0009–U+000D, U+0020, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000), which
///   HTTP servers strip from header values: `" system:masters"` would arrive as `system:masters`. White space
///   inside a name (`Jane Doe`) travels unchanged and is allowed;
/// - is sent in a comma-separated list (`commaSeparated`) and contains a comma, which would split it into two
///   names at the receiver.
///
/// Checks that compare names (the reserved `system:` prefix, a required role) compare the exact UTF-8 bytes that
/// are sent: ``hasSystemPrefix(_:)`` and ``isSame(_:_:)``, never `String` comparison, which treats canonically
/// equivalent strings as equal (`"\u{212A}"`, KELVIN SIGN, equals `"K"`).
public enum IdentityName {
    /// Why a name cannot be sent exactly.
    public enum Problem: Sendable, Hashable, CustomStringConvertible {
        /// The name is empty.
        case empty
        /// The name contains this control character (C0, DEL or C1).
        case controlCharacter(Unicode.Scalar)
        /// The name is made only of white space.
        case onlyWhitespace
        /// The name begins with this white-space character.
        case leadingWhitespace(Unicode.Scalar)
        /// The name ends with this white-space character.
        case trailingWhitespace(Unicode.Scalar)
        /// The name contains a comma and would be sent in a comma-separated list.
        case comma

        /// Why, as the end of a sentence about the name ("the sub claim" + " begins with ..."); never the name.
        public var description: String {
            switch self {
            case .empty: "is empty"
            case .controlCharacter(let scalar): "contains the control character \(Self.code(scalar))"
            case .onlyWhitespace: "is only white space"
            case .leadingWhitespace(let scalar): "begins with the white-space character \(Self.code(scalar))"
            case .trailingWhitespace(let scalar): "ends with the white-space character \(Self.code(scalar))"
            case .comma: "contains a comma, and names are sent comma-separated"
            }
        }

        private static func code(_ scalar: Unicode.Scalar) -> String {
            let hex = String(scalar.value, radix: 16, uppercase: true)
            return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
    }

    /// Why `name` cannot be sent exactly, or `nil` when it can (see the type's discussion).
    ///
    /// - Parameters:
    ///   - name: a user, group or role name.
    ///   - commaSeparated: whether the name is sent joined with others by commas (`X-Forwarded-Groups`,
    ///     `x-proxy-roles`); a comma is then refused.
    public static func problem(_ name: String, commaSeparated: Bool = false) -> Problem? {
        let scalars = name.unicodeScalars
        guard let first = scalars.first, let last = scalars.last else {
            return .empty
        }
        for scalar in scalars {
            let value = scalar.value
            if value < 0x20 || (0x7F...0x9F).contains(value) {
                return .controlCharacter(scalar)
            }
            if commaSeparated, value == 0x2C {
                return .comma
            }
        }
        if isWhitespace(first) {
            return scalars.allSatisfy(isWhitespace) ? .onlyWhitespace : .leadingWhitespace(first)
        }
        if isWhitespace(last) {
            return .trailingWhitespace(last)
        }
        return nil
    }

    /// Whether `name` begins with the bytes `system:`, the prefix Kubernetes reserves for its own users and groups
    /// (`system:masters`, `system:serviceaccount:...`). Compares UTF-8 bytes: `"system:\u{301}x"` (a combining
    /// accent after the colon) has the prefix, although `String.hasPrefix` says it has not.
    public static func hasSystemPrefix(_ name: String) -> Bool {
        name.utf8.starts(with: "system:".utf8)
    }

    /// Whether two names are the same UTF-8 bytes, so that a receiver comparing bytes sees the same name.
    public static func isSame(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.elementsEqual(rhs.utf8)
    }

    /// The Unicode `White_Space` property, without a table lookup for ASCII.
    private static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 {
            return value == 0x20 || (0x09...0x0D).contains(value)
        }
        return scalar.properties.isWhitespace
    }
}
