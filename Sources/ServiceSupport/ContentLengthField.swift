/// The `Content-Length` lines of one head, read as they come (RFC 9110 §8.6): every element `1*DIGIT`, every repeat
/// the same, the value bounded. The one reading of `Content-Length` for the request decoder, the request screen and
/// the upstream response framer; where they differ, ``Rules`` says so.
///
/// - Important: it keeps a view of the first element's bytes: only valid while the head's bytes are.
package struct ContentLengthField {
    /// What a reader accepts beyond `1*DIGIT`.
    ///
    /// A client's request and what the proxy frames or relays are read under different bounds on purpose: the
    /// request decoder reads like llhttp (behind which NIO and most servers stand), so that every length both can
    /// read is read alike; the other readers take at most 18 digits, which always fit an `Int`.
    package struct Rules: Sendable {
        /// The most digits accepted, leading zeros included.
        package var maximumDigits: Int
        /// The largest value accepted.
        package var maximumValue: Int
        /// Whether a repeated value must be the very same digits (otherwise the same number is enough).
        package var repeatsMustMatchDigits: Bool
        /// Whether an empty list element (`5,,5`) is refused (otherwise it is passed over).
        package var refusesEmptyElements: Bool

        /// A client's request head: any number of digits up to 2^62, and a repeat must be the same digits with no
        /// empty element, so that nothing behind the proxy can read the list another way than the proxy does.
        package static let clientRequest = Rules(maximumDigits: .max, maximumValue: 1 << 62,
                                                 repeatsMustMatchDigits: true, refusesEmptyElements: true)
        /// A head the proxy reads again or relays (the request screen, an upstream's response): at most 18 digits;
        /// a list of the same number is one value, as RFC 9110 §8.6 lets a recipient read it.
        package static let relayed = Rules(maximumDigits: 18, maximumValue: .max,
                                           repeatsMustMatchDigits: false, refusesEmptyElements: false)
    }

    /// The length the lines declare.
    package private(set) var value: Int
    /// The first element as sent, which a repeat must equal under ``Rules/repeatsMustMatchDigits``.
    private let digits: UnsafeRawBufferPointer

    /// `digits` as a number if it is `1*DIGIT` within `rules`' bounds, nil otherwise.
    @inlinable
    package static func value(of digits: UnsafeRawBufferPointer, rules: Rules) -> Int? {
        guard digits.count > 0, digits.count <= rules.maximumDigits else { return nil }
        var value = 0
        for byte in digits {
            // Checked before each step, so that no number of digits can overflow.
            guard byte &- 0x30 < 10, value <= rules.maximumValue / 10 else { return nil }
            value = value * 10 + Int(byte &- 0x30)
        }
        return value <= rules.maximumValue ? value : nil
    }

    /// Adds the elements of one `Content-Length` line (a comma-separated list) to `field`; false when they break
    /// `rules`, or the line holds no length at all (the head must then be refused).
    package static func add(_ line: UnsafeRawBufferPointer, to field: inout ContentLengthField?, rules: Rules) -> Bool {
        var valid = true
        HTTPSyntax.forEachElement(of: line) { element in
            guard element.count > 0 else {
                if rules.refusesEmptyElements { valid = false }
                return
            }
            if let known = field, rules.repeatsMustMatchDigits {
                if !element.elementsEqual(known.digits) { valid = false }
                return
            }
            guard let value = value(of: element, rules: rules), field == nil || field!.value == value else {
                valid = false
                return
            }
            if field == nil { field = ContentLengthField(value: value, digits: element) }
        }
        return valid && field != nil
    }
}
