import Foundation
import FTACore

/// Action configs parsed once per worker instead of once per action: an alert storm sends
/// thousands of actions with the same `action_config` text, and parsing it (and checking a
/// webhook's fields) cost more than building the request.
///
/// Entries are keyed by the config's exact text, so a changed config is a new entry (a pass
/// never uses an old version) and nothing of one action's own values (alert, inputs) is ever
/// cached. One cache per worker thread: it is not locked. It holds at most ``capacity``
/// texts and starts over when full.
package final class ConfigCache {
    package static let capacity = 256

    /// The kind and the whole text decide equality; the dictionary hashes a quick digest of the
    /// text. (With Swift's own string hashing, SipHash over every byte, finding a 600-byte
    /// config cost about 2,900 instructions; the digest and the find about 1,300.) Texts whose
    /// digests collide are still told apart by comparing them.
    struct Key: Hashable {
        let kind: String
        let text: String
        let digest: UInt64

        init(kind: String, text: String) {
            self.kind = kind
            self.text = text
            digest = Key.digest(text)
        }

        func hash(into hasher: inout Hasher) { hasher.combine(digest) }

        static func == (a: Key, b: Key) -> Bool { a.digest == b.digest && a.kind == b.kind && a.text == b.text }

        /// A multiply-xorshift digest over the text's UTF-8, eight bytes at a time.
        static func digest(_ text: String) -> UInt64 {
            var text = text
            return text.withUTF8 { bytes in
                var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
                guard let base = bytes.baseAddress else { return h }
                let raw = UnsafeRawPointer(base)
                var i = 0
                while i + 8 <= bytes.count {
                    h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
                    h ^= h >> 32
                    i += 8
                }
                var tail: UInt64 = 0, shift: UInt64 = 0
                while i < bytes.count {
                    tail |= UInt64(bytes[i]) << shift
                    shift += 8
                    i += 1
                }
                h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
                return h ^ (h >> 29)
            }
        }
    }

    private var parsed: [String: JSONValue] = [:]
    private var built: [Key: Any] = [:]
    /// The last text looked up by each method, with its answer: consecutive actions of a storm
    /// carry the same config, and the claim hands them one shared String (`RepeatedColumnText`
    /// in FTAStore), which `==` recognises without reading its bytes, so a repeat costs no
    /// hashing at all. Equality is still the whole text's (`==` compares the bytes otherwise).
    private var lastParsed: (text: String, value: JSONValue)?
    private var lastBuilt: (kind: String, text: String, value: Any)?
    /// Texts parsed so far (each miss parses).
    package private(set) var misses = 0

    package init() {}

    /// The config text parsed (malformed text reads as an empty object, as `ClaimedAction.json`).
    package func json(_ text: String) -> JSONValue {
        if let last = lastParsed, last.text == text { return last.value }
        let v: JSONValue
        if let found = parsed[text] {
            v = found
        } else {
            misses += 1
            v = (try? JSONParser.parse(text)) ?? .emptyObject
            if parsed.count >= ConfigCache.capacity { parsed.removeAll(keepingCapacity: true) }
            parsed[text] = v
        }
        lastParsed = (text, v)
        return v
    }

    /// What `make` builds from the parsed config (a processor's checked settings), built once
    /// per text and `kind`; a config that fails to build fails the same way each time.
    package func value<T>(_ text: String, kind: String, _ make: (JSONValue) throws -> T) -> Result<T, Error> {
        if let last = lastBuilt, last.kind == kind, last.text == text, let v = last.value as? Result<T, Error> { return v }
        let key = Key(kind: kind, text: text)
        let v: Result<T, Error>
        if let found = built[key] as? Result<T, Error> {
            v = found
        } else {
            v = Result { try make(json(text)) }
            if built.count >= ConfigCache.capacity { built.removeAll(keepingCapacity: true) }
            built[key] = v
        }
        lastBuilt = (kind, text, v)
        return v
    }
}
