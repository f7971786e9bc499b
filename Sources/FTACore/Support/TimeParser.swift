import Foundation

/// Parses the times users type: epoch seconds (`1795000000`, `1795000000.5`) or ISO-8601
/// (`2026-11-23T10:00:00Z`, with an offset, with fractions, or `2026-11-23 10:00:00`
/// which is read as UTC). Returns epoch seconds, only within ``InputLimits/time`` (1970 to
/// 9999): anything else is nil, never a trap.
package enum TimeParser {
    /// What callers say when ``parse(_:)`` returns nil.
    package static let expected = "expected epoch seconds or an ISO-8601 time between 1970-01-01 and 9999-12-31"

    /// A duration: `90`, `90s`, `30m`, `2h`, `1d`, `1w` (seconds; nil when not one, or when
    /// longer than ``InputLimits/maxDelay``).
    package static func duration(_ text: String) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let last = t.last else { return nil }
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800]
        var seconds: Int64?
        if let unit = units[last], let n = Int64(t.dropLast()), n > 0 {
            let (product, overflow) = n.multipliedReportingOverflow(by: unit)
            seconds = overflow ? nil : product
        } else if let n = Int64(t), n > 0 {
            seconds = n
        }
        guard let s = seconds, s <= InputLimits.maxDelay else { return nil }
        return s
    }

    package static func parse(_ text: String) -> Int64? {
        let s = text.trimmingCharacters(in: .whitespaces)
        guard !s.isEmpty else { return nil }
        let t: Int64?
        if let i = Int64(s) {
            t = i
        } else if let d = Double(s) {
            t = d.isFinite && d >= Double(InputLimits.time.lowerBound) && d <= Double(InputLimits.time.upperBound) ? Int64(d.rounded(.down)) : nil
        } else {
            t = parseISO(s)
        }
        guard let t, InputLimits.isTime(t) else { return nil }
        return t
    }

    static func parseISO(_ s: String) -> Int64? {
        // YYYY-MM-DD[T| ]HH:MM[:SS[.fff]][Z|±HH:MM|±HHMM]
        let b = Array(s.utf8)
        func num(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= b.count else { return nil }
            var v = 0
            for i in from..<(from + len) {
                guard b[i] >= 48 && b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard b.count >= 10, let y = num(0, 4), b[4] == 45, let mo = num(5, 2), b[7] == 45, let d = num(8, 2) else { return nil }
        var h = 0, mi = 0, sec = 0, pos = 10
        if pos < b.count, b[pos] == 84 || b[pos] == 32 || b[pos] == 116 {
            guard let hh = num(pos + 1, 2), pos + 3 < b.count, b[pos + 3] == 58, let mm = num(pos + 4, 2) else { return nil }
            h = hh; mi = mm; pos += 6
            if pos < b.count, b[pos] == 58 {
                guard let ss = num(pos + 1, 2) else { return nil }
                sec = ss; pos += 3
                if pos < b.count, b[pos] == 46 || b[pos] == 44 {
                    pos += 1
                    while pos < b.count, b[pos] >= 48 && b[pos] <= 57 { pos += 1 }
                }
            }
        }
        var offset = 0
        if pos < b.count {
            if b[pos] == 90 || b[pos] == 122, pos + 1 == b.count {
                pos += 1
            } else if b[pos] == 43 || b[pos] == 45 {
                let sign = b[pos] == 45 ? -1 : 1
                guard let oh = num(pos + 1, 2) else { return nil }
                var om = 0
                if pos + 3 < b.count {
                    let mStart = b[pos + 3] == 58 ? pos + 4 : pos + 3
                    guard let m = num(mStart, 2), mStart + 2 == b.count else { return nil }
                    om = m
                } else if pos + 3 != b.count { return nil }
                offset = sign * (oh * 3600 + om * 60)
                pos = b.count
            } else { return nil }
        }
        guard pos == b.count, (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, sec < 61 else { return nil }
        return Int64(daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// `2026-11-23T10:00:00Z` for epoch seconds.
    package static func iso(_ t0: Int64) -> String { format(t0, separator: "T", zone: "Z") }

    /// `YYYY-MM-DD<separator>HH:MM:SS<zone>` in UTC, digits written by hand (String(format:)
    /// cost more than the rest of a notice's context).
    package static func format(_ t0: Int64, separator: String, zone: String) -> String {
        // Times outside 0000...9999 (a hostile alert's begin_time) print as the nearest end.
        let t = min(max(t0, -62_167_219_200), InputLimits.time.upperBound)
        let days = Int(floor(Double(t) / 86400))
        let secs = Int(t - Int64(days) * 86400)
        let (y, m, d) = civilFromDays(days)
        var out = [UInt8]()
        out.reserveCapacity(24)
        func digits(_ v: Int, _ width: Int) {
            var p = 1
            for _ in 1..<width { p *= 10 }
            var v = max(0, v)
            while p > 0 { out.append(UInt8(48 + (v / p) % 10)); v %= p; p /= 10 }
        }
        digits(y, 4); out.append(45); digits(m, 2); out.append(45); digits(d, 2)
        out.append(contentsOf: separator.utf8)
        digits(secs / 3600, 2); out.append(58); digits(secs % 3600 / 60, 2); out.append(58); digits(secs % 60, 2)
        out.append(contentsOf: zone.utf8)
        return String(decoding: out, as: UTF8.self)
    }

    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
