import OIDC
import Foundation
import Testing
@testable import OIDCProxy

@Suite("Cookie sealing")
struct CookieSealerTests {
    let sealer = TestFixtures.sealer()
    let later = TestFixtures.now.addingTimeInterval(600)
    let plaintext = Array("the session payload".utf8)

    private func sealed(_ sealer: CookieSealer? = nil, purpose: String = "vz_authn") throws -> String {
        try (sealer ?? self.sealer).seal(self.plaintext, purpose: purpose, expiresAt: self.later)
    }

    private func rejection(_ result: Result<[UInt8], CookieRejection>) -> CookieRejection? {
        if case .failure(let reason) = result { reason } else { nil }
    }

    @Test("secrets: at least 32 bytes after trimming one trailing newline")
    func secrets() throws {
        #expect(throws: CookieError.noSecrets) { try CookieSealer(secrets: []) }
        let thirtyOne = [UInt8](repeating: 0x61, count: 31)
        #expect(throws: CookieError.secretTooShort) { try CookieSealer(secrets: [thirtyOne]) }
        #expect(throws: CookieError.secretTooShort) { try CookieSealer(secrets: [thirtyOne + [0x0A]]) }
        #expect(throws: CookieError.secretTooShort) { try CookieSealer(secrets: [thirtyOne + [0x0D, 0x0A]]) }
        #expect(throws: CookieError.secretTooShort) {
            try CookieSealer(secrets: [TestFixtures.firstSecret, thirtyOne])
        }
        #expect(try CookieSealer(secrets: [thirtyOne + [0x62]]).keyCount == 1)
        // Only one newline is trimmed: the second counts as key material.
        #expect(try CookieSealer(secrets: [thirtyOne + [0x0A, 0x0A]]).keyCount == 1)
    }

    @Test("a trailing newline does not change the key")
    func newlineTrimmed() throws {
        let withNewline = try CookieSealer(secrets: [TestFixtures.firstSecret + [0x0A]])
        let withCRLF = try CookieSealer(secrets: [TestFixtures.firstSecret + [0x0D, 0x0A]])
        let value = try sealed(withNewline)
        #expect(try sealer.open(value, purpose: "vz_authn", now: TestFixtures.now).get() == plaintext)
        #expect(try withCRLF.open(value, purpose: "vz_authn", now: TestFixtures.now).get() == plaintext)
    }

    @Test("round trip; base64url; fresh nonce each time; expected length")
    func roundTrip() throws {
        let first = try sealed()
        let second = try sealed()
        #expect(first != second)
        #expect(first.utf8.allSatisfy(Base64URL.isAlphabetByte))
        #expect(first.utf8.count == ((CookieSealer.overheadBytes + plaintext.count) * 4 + 2) / 3)
        #expect(try sealer.open(first, purpose: "vz_authn", now: TestFixtures.now).get() == plaintext)
        #expect(try sealer.open(Substring(second), purpose: "vz_authn", now: TestFixtures.now).get() == plaintext)
        let empty = try sealer.seal([], purpose: "p", expiresAt: later)
        #expect(try sealer.open(empty, purpose: "p", now: TestFixtures.now).get() == [])
    }

    @Test("rotation: the first key seals, every key opens")
    func rotation() throws {
        let old = TestFixtures.sealer(TestFixtures.firstSecret)
        let rotated = TestFixtures.sealer(TestFixtures.secondSecret, TestFixtures.firstSecret)
        let oldValue = try sealed(old)
        #expect(try rotated.open(oldValue, purpose: "vz_authn", now: TestFixtures.now).get() == plaintext)
        let newValue = try sealed(rotated)
        #expect(rejection(old.open(newValue, purpose: "vz_authn", now: TestFixtures.now)) == .unknownKey)
        let newOnly = TestFixtures.sealer(TestFixtures.secondSecret)
        #expect(try newOnly.open(newValue, purpose: "vz_authn", now: TestFixtures.now).get() == plaintext)
        #expect(rejection(newOnly.open(oldValue, purpose: "vz_authn", now: TestFixtures.now)) == .unknownKey)
    }

    @Test("changing any byte of the sealed value fails")
    func tamperEveryByte() throws {
        let value = try sealed()
        let bytes = try #require(Base64URL.decode(value.utf8))
        for index in bytes.indices {
            for mask: UInt8 in [0x01, 0x80] {
                var altered = bytes
                altered[index] ^= mask
                let result = sealer.open(Base64URL.encode(altered), purpose: "vz_authn", now: TestFixtures.now)
                #expect(rejection(result) != nil, "byte \(index)")
            }
        }
    }

    @Test("changing any character of the encoded value fails")
    func tamperEveryCharacter() throws {
        let value = Array(try sealed().utf8)
        for index in value.indices {
            var altered = value
            altered[index] = altered[index] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            let result = sealer.open(String(decoding: altered, as: UTF8.self), purpose: "vz_authn", now: TestFixtures.now)
            #expect(rejection(result) != nil, "character \(index)")
        }
    }

    @Test("every truncation and extension fails")
    func truncation() throws {
        let value = try sealed()
        for length in 0..<value.utf8.count {
            let result = sealer.open(value.prefix(length), purpose: "vz_authn", now: TestFixtures.now)
            #expect(rejection(result) != nil, "length \(length)")
        }
        #expect(rejection(sealer.open(value + "AAAA", purpose: "vz_authn", now: TestFixtures.now)) == .tampered)
        #expect(rejection(sealer.open(String(value.dropFirst(4)), purpose: "vz_authn", now: TestFixtures.now)) != nil)
    }

    @Test("expiry: valid until the sealed second, expired from it on")
    func expiry() throws {
        let value = try sealed()
        #expect(try sealer.open(value, purpose: "vz_authn", now: later.addingTimeInterval(-0.001)).get() == plaintext)
        #expect(rejection(sealer.open(value, purpose: "vz_authn", now: later)) == .expired)
        #expect(rejection(sealer.open(value, purpose: "vz_authn", now: later.addingTimeInterval(86_400))) == .expired)
        let past = try sealer.seal(plaintext, purpose: "p", expiresAt: TestFixtures.now.addingTimeInterval(-1))
        #expect(rejection(sealer.open(past, purpose: "p", now: TestFixtures.now)) == .expired)
    }

    @Test("a value sealed for one purpose never opens for another")
    func purpose() throws {
        let state = try sealed(purpose: "vz_state")
        #expect(rejection(sealer.open(state, purpose: "vz_authn", now: TestFixtures.now)) == .wrongPurpose)
        #expect(try sealer.open(state, purpose: "vz_state", now: TestFixtures.now).get() == plaintext)
        // Even with the purpose tag forged to match, the associated data still differs.
        var bytes = try #require(Base64URL.decode(state.utf8))
        let authnTag = try #require(Base64URL.decode(try sealed(purpose: "vz_authn").utf8))[5..<9]
        bytes.replaceSubrange(5..<9, with: authnTag)
        #expect(rejection(sealer.open(Base64URL.encode(bytes), purpose: "vz_authn", now: TestFixtures.now)) == .tampered)
    }

    @Test("malformed inputs: not base64url, wrong version, oversized")
    func malformed() throws {
        for input in ["", "!!!!", "a", "abc=", "ab cd", "é", String(repeating: "A", count: CookieSealer.maximumSealedLength + 4)] {
            #expect(rejection(sealer.open(input, purpose: "vz_authn", now: TestFixtures.now)) == .malformed)
        }
        var bytes = try #require(Base64URL.decode(try sealed().utf8))
        bytes[0] = 2
        #expect(rejection(sealer.open(Base64URL.encode(bytes), purpose: "vz_authn", now: TestFixtures.now)) == .malformed)
    }

    @Test("random and half-valid inputs never crash and never open", arguments: [UInt64(7), 8])
    func randomInputs(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=.+/ ".utf8)
        for _ in 0..<500 {
            let length = Int.random(in: 0..<300, using: &random)
            let text = String(decoding: (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &random)] },
                              as: UTF8.self)
            #expect(rejection(sealer.open(text, purpose: "vz_authn", now: TestFixtures.now)) != nil)
        }
        // A valid header (version, key id, purpose tag, expiry) followed by random bytes: always tampered.
        let header = try #require(Base64URL.decode(try sealed().utf8)).prefix(17)
        for _ in 0..<500 {
            let tail = (0..<Int.random(in: 0..<200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            let result = sealer.open(Base64URL.encode(Array(header) + tail), purpose: "vz_authn", now: TestFixtures.now)
            #expect(rejection(result) == (tail.count >= 28 ? .tampered : .malformed))
        }
    }

    @Test("the description shows no key material")
    func description() {
        #expect(sealer.description == "CookieSealer(keys: 1)")
        #expect(String(reflecting: sealer) == "CookieSealer(keys: 1)")
    }

    @Test("rejection labels are bounded")
    func labels() {
        #expect(CookieRejection.allCases.map(\.metricLabel) == ["malformed", "unknown_key", "tampered", "expired", "wrong_purpose"])
    }
}
