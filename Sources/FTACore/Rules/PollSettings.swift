/// The interval ("poll") fields a notice, webhook or script package may carry in its
/// `template_detail` (the original's `PollModeConfig`), checked when the package is read.
package enum PollSettings {
    package static let keys: Set<String> = ["need_poll", "notify_interval", "interval_notify_mode"]

    /// Throws a ``FieldError`` for a `need_poll` that is not a boolean, a `notify_interval`
    /// outside ``InputLimits/notifyInterval``, or an unknown `interval_notify_mode`.
    package static func validate(_ detail: JSONValue?, field: String) throws {
        guard let detail else { return }
        if let v = detail["need_poll"], !v.isNull, v.boolValue == nil {
            throw FieldError("\(field).need_poll", "expected true or false, found \(v.typeName)")
        }
        if let v = detail["notify_interval"], !v.isNull {
            let range = InputLimits.notifyInterval
            guard v.boolValue == nil, let i = v.intValue, range.contains(i) else {
                throw FieldError("\(field).notify_interval", "expected whole seconds in \(range.lowerBound)...\(range.upperBound), found \(v.scalarText ?? v.typeName)")
            }
        }
        if let v = detail["interval_notify_mode"], !v.isNull {
            guard let mode = v.stringValue, ["standard", "increasing"].contains(mode) else {
                throw FieldError("\(field).interval_notify_mode", "'\(v.scalarText ?? v.typeName)' is not one of standard, increasing")
            }
        }
    }
}
