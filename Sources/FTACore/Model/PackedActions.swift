/// Drafts packed for insertion: every text of every row in one byte buffer, the numbers beside.
///
/// Enqueue packs on its parsing thread, so the thread that holds the write lock only binds
/// pointers into this buffer: it copies no text and allocates or frees nothing per row (the
/// drafts' strings are freed where they were made). BENCHMARKS.md has the measurement.
package struct PackedActions: Sendable {
    /// Texts per row, in the order they are bound; the last is the `dedupe_key`.
    package static let textsPerRow = 13

    package struct Numbers: Sendable {
        package var strategyId: Int64
        package var strategyRelationId: Int64
        package var alertLevel: Int64
        package var actionConfigId: Int64
        package var isParentAction: Bool
        package var parentActionId: Int64
        package var executeTimes: Int64
        package var dueAt: Int64?
        package var timeout: Int64
        package var needsApproval: Bool
        package var hasDedupeKey: Bool
    }

    package private(set) var bytes: [UInt8] = []
    /// `textsPerRow` end offsets into `bytes` per row; a text starts where the one before ends.
    package private(set) var ends: [Int] = []
    package private(set) var numbers: [Numbers] = []

    package init() {}

    package init(reservingRows rows: Int, bytesPerRow: Int = 768) {
        bytes.reserveCapacity(rows * bytesPerRow)
        ends.reserveCapacity(rows * PackedActions.textsPerRow)
        numbers.reserveCapacity(rows)
    }

    package var count: Int { numbers.count }
    package var isEmpty: Bool { numbers.isEmpty }

    package mutating func append(_ d: ActionDraft) {
        func add(_ text: String) {
            bytes.append(contentsOf: text.utf8)
            ends.append(bytes.count)
        }
        add(d.signal); add(d.strategy); add(d.dimensions); add(d.dimensionHash); add(d.alerts); add(d.actionPlugin)
        add(d.actionConfig); add(d.bkBizId); add(d.assignee); add(d.inputs); add(d.generateUUID); add(d.alert)
        add(d.dedupeKey ?? "")
        numbers.append(Numbers(
            strategyId: d.strategyId, strategyRelationId: d.strategyRelationId, alertLevel: d.alertLevel,
            actionConfigId: d.actionConfigId, isParentAction: d.isParentAction, parentActionId: d.parentActionId,
            executeTimes: d.executeTimes, dueAt: d.dueAt, timeout: d.timeout, needsApproval: d.needsApproval,
            hasDedupeKey: d.dedupeKey != nil))
    }

    package mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        numbers.removeAll(keepingCapacity: true)
    }

    /// Byte range of text `k` of row `row`.
    package func range(row: Int, text k: Int) -> Range<Int> {
        let i = row * PackedActions.textsPerRow + k
        return (i == 0 ? 0 : ends[i - 1])..<ends[i]
    }

    /// The row's `dedupe_key`, if it has one.
    package func dedupeKey(row: Int) -> String? {
        guard numbers[row].hasDedupeKey else { return nil }
        return String(decoding: bytes[range(row: row, text: PackedActions.textsPerRow - 1)], as: UTF8.self)
    }
}
