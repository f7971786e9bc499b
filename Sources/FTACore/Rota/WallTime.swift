/// A wall-clock time with no zone attached: what duty rules and plans are written in
/// (`"2026-03-29 09:00:00"`). Kept as seconds since 1970-01-01 00:00:00 on the proleptic
/// Gregorian calendar, counted as if the wall clock were UTC, so day arithmetic is exact
/// integer arithmetic and never sees a daylight-saving change. Converting to a real instant
/// is ``ZoneClock``'s job.
package struct WallTime: Comparable, Hashable, Sendable, CustomStringConvertible {
    package var seconds: Int64

    package init(seconds: Int64) { self.seconds = seconds }

    package init(day: Int64, secondOfDay: Int64 = 0) { seconds = day * 86_400 + secondOfDay }

    package init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        seconds = Int64(TimeParser.daysFromCivil(year, month, day)) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    package static let max = WallTime(year: 9999, month: 12, day: 31, hour: 23, minute: 59, second: 59)

    /// `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DD HH:MM` or `YYYY-MM-DD` (also with `T` between date
    /// and time); nil for anything else, including dates that do not exist (`2023-02-29`).
    package static func parse(_ text: String) -> WallTime? {
        let b = Array(text.utf8)
        guard b.count == 10 || b.count == 16 || b.count == 19 else { return nil }
        func num(_ at: Int, _ n: Int) -> Int? {
            var v = 0
            for i in at..<(at + n) {
                let c = b[i]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard let y = num(0, 4), b[4] == 45, let mo = num(5, 2), b[7] == 45, let d = num(8, 2),
              (1...12).contains(mo), d >= 1, d <= daysInMonth(y, mo) else { return nil }
        var h = 0, mi = 0, s = 0
        if b.count >= 16 {
            guard b[10] == 32 || b[10] == 84, let hh = num(11, 2), b[13] == 58, let mm = num(14, 2), hh < 24, mm < 60 else { return nil }
            h = hh; mi = mm
            if b.count == 19 {
                guard b[16] == 58, let ss = num(17, 2), ss < 60 else { return nil }
                s = ss
            }
        }
        return WallTime(year: y, month: mo, day: d, hour: h, minute: mi, second: s)
    }

    /// `HH:MM` as seconds of the day, nil when malformed.
    package static func clock(_ text: Substring) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 5, b[2] == 58 else { return nil }
        let digits = [b[0], b[1], b[3], b[4]]
        guard digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        let h = Int64(b[0] - 48) * 10 + Int64(b[1] - 48), m = Int64(b[3] - 48) * 10 + Int64(b[4] - 48)
        guard h < 24, m < 60 else { return nil }
        return h * 3600 + m * 60
    }

    package static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    package static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01.
    package var day: Int64 { seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400 }
    package var secondOfDay: Int64 { seconds - day * 86_400 }
    /// ISO weekday, 1 = Monday … 7 = Sunday.
    package var weekday: Int { Int(((day % 7) + 7 + 3) % 7) + 1 }
    package var civil: (year: Int, month: Int, day: Int) {
        let c = TimeParser.civilFromDays(Int(day))
        return (c.0, c.1, c.2)
    }
    package var dayOfMonth: Int { civil.day }
    package var daysInItsMonth: Int { let c = civil; return WallTime.daysInMonth(c.year, c.month) }
    /// Midnight of the same day.
    package var startOfDay: WallTime { WallTime(day: day) }

    package func adding(days n: Int64) -> WallTime { WallTime(seconds: seconds + n * 86_400) }
    package func adding(seconds n: Int64) -> WallTime { WallTime(seconds: seconds + n) }

    /// `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` or `YYYY-MM-DD HH:MM:SS` (plans are written by the
    /// ten thousand, so this writes the digits itself).
    func formatted(_ length: Int) -> String {
        let c = civil, s = Int(secondOfDay)
        return String(unsafeUninitializedCapacity: length) { buf in
            func put(_ v: Int, _ at: Int, _ width: Int) {
                var v = v
                for i in stride(from: at + width - 1, through: at, by: -1) {
                    buf[i] = UInt8(48 + v % 10)
                    v /= 10
                }
            }
            put(c.year, 0, 4); buf[4] = 45; put(c.month, 5, 2); buf[7] = 45; put(c.day, 8, 2)
            if length >= 16 { buf[10] = 32; put(s / 3600, 11, 2); buf[13] = 58; put(s % 3600 / 60, 14, 2) }
            if length >= 19 { buf[16] = 58; put(s % 60, 17, 2) }
            return length
        }
    }

    /// `YYYY-MM-DD`.
    package var dateText: String { formatted(10) }

    /// `YYYY-MM-DD HH:MM`.
    package var minuteText: String { formatted(16) }

    /// `YYYY-MM-DD HH:MM:SS`.
    package var text: String { formatted(19) }

    /// `YYYYMMDDTHHMMSS` (iCalendar local time).
    package var icsText: String {
        let c = civil, s = secondOfDay
        return zeroPad(c.year, 4) + zeroPad(c.month, 2) + zeroPad(c.day, 2) + "T" + zeroPad(Int(s / 3600), 2) + zeroPad(Int(s % 3600 / 60), 2) + zeroPad(Int(s % 60), 2)
    }

    package var description: String { text }

    package static func < (a: WallTime, b: WallTime) -> Bool { a.seconds < b.seconds }
}

@inline(__always) func zeroPad(_ v: Int, _ width: Int) -> String {
    let s = String(v)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}
