import Foundation

/// One e-mail as a notice channel sends it: several recipients share one message.
package struct MailMessage: Sendable, Equatable {
    package var from: String
    package var to: [String]
    package var cc: [String]
    package var subject: String
    package var body: String
    /// `text/html` when true, else `text/plain`.
    package var isHTML: Bool

    package init(from: String, to: [String], cc: [String] = [], subject: String, body: String, isHTML: Bool = false) {
        self.from = from
        self.to = to
        self.cc = cc
        self.subject = subject
        self.body = body
        self.isHTML = isHTML
    }

    /// Every envelope recipient.
    package var recipients: [String] { to + cc }

    /// The RFC 5322 text: CRLF line ends, non-ASCII headers as RFC 2047 words, the body in
    /// base64 (safe for any text and line length). `date` and `messageID` are given so the
    /// output is reproducible.
    package func rfc5322(date: Int64, messageID: String) -> String {
        var lines = [
            "Date: \(MailMessage.rfc5322Date(date))",
            "From: \(MailMessage.header(from))",
            "To: \(to.map(MailMessage.header).joined(separator: ", "))",
        ]
        if !cc.isEmpty { lines.append("Cc: \(cc.map(MailMessage.header).joined(separator: ", "))") }
        lines += [
            "Subject: \(MailMessage.header(subject))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Content-Type: \(isHTML ? "text/html" : "text/plain"); charset=UTF-8",
            "Content-Transfer-Encoding: base64",
            "",
        ]
        let encoded = Data(body.utf8).base64EncodedString()
        var chunks: [String] = []
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let end = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            chunks.append(String(encoded[index..<end]))
            index = end
        }
        return (lines + chunks).joined(separator: "\r\n") + "\r\n"
    }

    /// A header value: as is when printable ASCII, else one RFC 2047 base64 word.
    static func header(_ value: String) -> String {
        // A header value is one line: CR, LF and every other control character become spaces,
        // so text from an alert can never start a header of its own.
        var clean = value
        if value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            clean = String(String.UnicodeScalarView(value.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
        }
        if clean.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return clean }
        return "=?UTF-8?B?\(Data(clean.utf8).base64EncodedString())?="
    }

    static func rfc5322Date(_ t: Int64) -> String {
        let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let day = Int((t >= 0 ? t : t - 86399) / 86400)
        let (y, m, d) = TimeParser.civilFromDays(day)
        let secs = Int(t - Int64(day) * 86400)
        let weekday = days[((day % 7) + 7) % 7]
        return String(format: "%@, %02d %@ %04d %02d:%02d:%02d +0000", weekday, d, months[m - 1], y, secs / 3600, secs % 3600 / 60, secs % 60)
    }
}
