import Foundation

extension Clock {
    /// The operating system's clock, in whole epoch seconds.
    public static let system = Clock { Int64(Date().timeIntervalSince1970) }
}
