import Foundation

/// Randomness for retry jitter: spread, not secrecy. SplitMix64, seeded once from the system
/// generator, so that a pass makes one `getrandom` call instead of one per outcome (which
/// showed up in a pass's system calls as often as `sendto`).
final class FastRandom: @unchecked Sendable {
    private var state: UInt64

    init(seed: UInt64 = UInt64.random(in: 0...UInt64.max)) { state = seed }

    func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in 0..<1 (53 random bits).
    func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
