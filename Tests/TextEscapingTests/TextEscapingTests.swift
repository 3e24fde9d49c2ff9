import Foundation
import Testing
import TextEscaping

@Suite("TextEscaping: JSON strings and HTML text")
struct TextEscapingTests {
    @Test("JSON: what JSONSerialization reads back is the text itself, for every kind of character")
    func jsonRoundTrip() throws {
        let samples = ["plain", "quote \" and \\ backslash", "line\nbreak\r\ttab", "\u{0}\u{1}\u{8}\u{C}\u{1F}\u{7F}",
                       "é ✓ 🙂", "\u{2028}\u{2029}", "</script><b>", ""]
        for sample in samples {
            let quoted = JSONStringText.quoted(sample)
            let decoded = try JSONSerialization.jsonObject(with: Data("[\(quoted)]".utf8)) as? [String]
            #expect(decoded == [sample], "\(quoted)")
        }
    }

    @Test("JSON: the escapes used")
    func jsonEscapes() {
        #expect(JSONStringText.quoted("a\"b\\c") == #""a\"b\\c""#)
        #expect(JSONStringText.quoted("\n\r\t\u{8}\u{C}") == #""\n\r\t\b\f""#)
        #expect(JSONStringText.quoted("\u{1}\u{7F}\u{2028}") == #""\u0001\u007f\u2028""#)
        #expect(JSONStringText.quoted("é") == "\"é\"")
        var line = "x="
        JSONStringText.append("y", to: &line)
        #expect(line == "x=\"y\"")
    }

    @Test("HTML: the five characters that matter in text and attributes")
    func html() {
        #expect(HTMLText.escaped(#"<a href="x" title='y'>&</a>"#) == "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;")
        #expect(HTMLText.escaped("plain é") == "plain é")
    }
}
