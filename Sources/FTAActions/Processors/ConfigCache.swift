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

    private struct Key: Hashable {
        let kind: String
        let text: String
    }

    private var parsed: [String: JSONValue] = [:]
    private var built: [Key: Any] = [:]
    /// Texts parsed so far (each miss parses).
    package private(set) var misses = 0

    package init() {}

    /// The config text parsed (malformed text reads as an empty object, as `ClaimedAction.json`).
    package func json(_ text: String) -> JSONValue {
        if let v = parsed[text] { return v }
        misses += 1
        let v = (try? JSONParser.parse(text)) ?? .emptyObject
        if parsed.count >= ConfigCache.capacity { parsed.removeAll(keepingCapacity: true) }
        parsed[text] = v
        return v
    }

    /// What `make` builds from the parsed config (a processor's checked settings), built once
    /// per text and `kind`; a config that fails to build fails the same way each time.
    package func value<T>(_ text: String, kind: String, _ make: (JSONValue) throws -> T) -> Result<T, Error> {
        let key = Key(kind: kind, text: text)
        if let v = built[key] as? Result<T, Error> { return v }
        let v = Result { try make(json(text)) }
        if built.count >= ConfigCache.capacity { built.removeAll(keepingCapacity: true) }
        built[key] = v
        return v
    }
}
