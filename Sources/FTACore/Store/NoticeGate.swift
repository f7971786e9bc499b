/// The notice gate: what a notice must be let through before it is sent, decided by the store
/// in one transaction that first checks the notice's lease (docs/architecture.md, "The notice
/// gate"). The notice processor prepares the requests (pure), the pass asks the store, the
/// processor sends what was admitted.
package struct GateRequest: Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        /// Voice de-dupe: one call per identical receiver list per `window` seconds; the key is
        /// held by the first action that claims it.
        case once(key: String, window: Int64)
        /// A per-recipient cap: at most `cap` sends per `window` seconds to `receiver` on `way`;
        /// beyond it the notice is folded into the receiver's digest.
        case quota(way: String, receiver: String, cap: Int, window: Int64, digest: DigestItem)
    }

    /// The notice asking: its id and the token of its claim.
    package var hold: LeaseHold
    package var kind: Kind

    package init(hold: LeaseHold, kind: Kind) {
        self.hold = hold
        self.kind = kind
    }
}

/// The gate's answer to one request.
package enum GateDecision: Sendable, Equatable {
    /// Send it.
    case admitted
    /// Another action holds the once-per-window key: do not send.
    case heldBy(Int64)
    /// The cap is reached: folded into the receiver's digest, which goes out at that time.
    case folded(digestAt: Int64)
    /// The notice's claim was taken over or finished: nothing was admitted or counted.
    case leaseLost
}

/// What a notice folded into a digest leaves there.
package struct DigestItem: Sendable, Equatable {
    package var title: String
    package var alertId: String
    package var bkBizId: String
    package init(title: String, alertId: String, bkBizId: String) {
        self.title = title
        self.alertId = alertId
        self.bkBizId = bkBizId
    }
}

/// A per-recipient cap of one way (`channels.<way>.recipient_cap`).
package struct RecipientCap: Sendable, Equatable {
    package var max: Int
    package var window: Int64
    package init(max: Int, window: Int64) {
        self.max = max
        self.window = window
    }
}
