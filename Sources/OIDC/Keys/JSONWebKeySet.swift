/// A set of public signing keys (a JWKS document), indexed by key id.
///
/// Keys that cannot be used for signature verification are skipped rather than failing the whole set:
/// `use` other than `sig`, unsupported `kty` or curve, `alg` outside the allow list, invalid key material.
/// When two usable keys share a `kid`, the first one wins. Key ids are compared byte for byte (RFC 7515 §4.1.4: a
/// case-sensitive string), never by Unicode canonical equivalence, which Swift's `String` equality uses.
public struct JSONWebKeySet: Sendable {
    /// The usable keys, in document order.
    public let keys: [JSONWebKey]
    private let keysByID: [[UInt8]: JSONWebKey]

    /// Builds a set from already parsed keys.
    public init(keys: [JSONWebKey]) {
        var unique: [JSONWebKey] = []
        var byID: [[UInt8]: JSONWebKey] = [:]
        for key in keys {
            if let kid = key.keyID.map({ Array($0.utf8) }) {
                guard byID[kid] == nil else { continue }
                byID[kid] = key
            }
            unique.append(key)
        }
        self.keys = unique
        self.keysByID = byID
    }

    /// Parses a JWKS document (`{"keys": [...]}`).
    ///
    /// - Throws: ``OIDCError/keysUnavailable`` if the document is not a JSON object with a `keys` array.
    ///   An array in which no key is usable yields an empty set, not an error.
    public init<Bytes: Collection<UInt8>>(jsonBytes: Bytes) throws(OIDCError) {
        guard
            let document = StrictJSONValue(parsing: jsonBytes)?.objectValue,
            let entries = document["keys"]?.arrayValue
        else {
            throw OIDCError.keysUnavailable.with(message: "key set is not a JSON object with a keys array")
        }
        self.init(keys: entries.compactMap { entry in entry.objectValue.flatMap(JSONWebKey.init(json:)) })
    }

    /// The key with id `keyID`, if present.
    public subscript(keyID keyID: String) -> JSONWebKey? {
        // A provider publishes a handful of keys: comparing bytes in place beats making a lookup key (an array) on
        // every verified request.
        if self.keys.count <= 8 {
            return self.keys.first { key in key.keyID.map { $0.utf8.elementsEqual(keyID.utf8) } ?? false }
        }
        return self.keysByID[Array(keyID.utf8)]
    }

    /// The most keys tried for a token without a `kid` (each try is a signature check).
    static let maximumKeysTriedWithoutID = 4

    /// The keys for a token header: by `kid` when the header has one. Without a `kid` (some providers leave it out
    /// when they publish one key per algorithm), the keys whose type, curve and `alg` fit the token's `alg`, as
    /// kube-apiserver and go-oidc do; the caller accepts the token only if exactly one of them verifies it.
    func keys(forTokenKeyID keyID: String?, algorithm: JWSAlgorithm) -> KeyLookup {
        if let keyID {
            return self[keyID: keyID].map(KeyLookup.found) ?? .unknown
        }
        let fitting = self.keys.filter { $0.canVerify(algorithm) }
        switch fitting.count {
        case 0: return .unknown
        case ...Self.maximumKeysTriedWithoutID: return .candidates(fitting)
        default: return .tooMany
        }
    }

    /// The outcome of ``keys(forTokenKeyID:algorithm:)``.
    enum KeyLookup {
        case found(JSONWebKey)
        /// No key has that `kid`, or (without one) none fits the algorithm: a refetch may help.
        case unknown
        /// No `kid`, and these keys fit: exactly one must verify the token (none: a refetch may bring the key that
        /// signed it, as after a rotation).
        case candidates([JSONWebKey])
        /// No `kid`, and more keys fit than are worth trying.
        case tooMany
    }
}
