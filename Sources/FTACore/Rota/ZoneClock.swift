import Foundation

/// Converts between instants (epoch seconds) and a zone's wall clock, with the daylight-saving
/// rules of RFC 5545 §3.3.5: a wall time that does not exist (the spring-forward gap) and one
/// that happens twice (the fall-back repeat) are both read with the UTC offset in force
/// *before* the change. So a shift starting at 02:30 on a spring-forward night starts at 03:30
/// summer time, and one starting at 02:30 on a fall-back night starts at the first 02:30.
package struct ZoneClock: Sendable {
    package let identifier: String
    let zone: TimeZone

    /// nil for a name that is not an IANA zone.
    package init?(identifier: String) {
        guard !identifier.isEmpty, let z = TimeZone(identifier: identifier) else { return nil }
        self.identifier = identifier
        zone = z
    }

    package func offset(at instant: Int64) -> Int64 {
        Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant))))
    }

    package func wall(at instant: Int64) -> WallTime { WallTime(seconds: instant + offset(at: instant)) }

    package func instant(of wall: WallTime) -> Int64 {
        // Offsets in force a little before and after: a zone changes offset at most once a day.
        let before = offset(at: wall.seconds - 14 * 3600 - 86_400 / 2)
        let after = offset(at: wall.seconds + 14 * 3600 + 86_400 / 2)
        let candidates = before == after ? [before] : [before, after]
        var valid: [Int64] = []
        for o in candidates where offset(at: wall.seconds - o) == o { valid.append(wall.seconds - o) }
        if let first = valid.min() { return first }
        // In a gap: the offset before the change.
        return wall.seconds - before
    }

    /// The offset changes between two instants: (instant, offset before, offset after, is DST after).
    package func transitions(from: Int64, to: Int64) -> [(instant: Int64, from: Int64, to: Int64, dst: Bool)] {
        var out: [(Int64, Int64, Int64, Bool)] = []
        var cursor = Date(timeIntervalSince1970: TimeInterval(from))
        while let next = zone.nextDaylightSavingTimeTransition(after: cursor), next.timeIntervalSince1970 <= TimeInterval(to), out.count < 1000 {
            let t = Int64(next.timeIntervalSince1970)
            out.append((t, offset(at: t - 1), offset(at: t), zone.isDaylightSavingTime(for: next)))
            cursor = next
        }
        return out
    }

    /// `+0200` for an offset in seconds.
    package static func offsetText(_ seconds: Int64) -> String {
        let sign = seconds < 0 ? "-" : "+"
        let a = abs(seconds)
        return sign + zeroPad(Int(a / 3600), 2) + zeroPad(Int(a % 3600 / 60), 2)
    }
}
