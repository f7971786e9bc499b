/// How long the defense approval flow waits (docs/original-system.md §2.7): an approval ticket
/// is polled for 30 minutes; the row's deadline allows a margin past that for the last poll
/// and the withdrawal, then the action's own timeout applies once approved.
package enum ApprovalWindow {
    package static let seconds: Int64 = 1800
    /// The deadline of an action waiting for approval, from when it starts waiting.
    package static let withMargin: Int64 = seconds + 300
}
