import Foundation
import FTACore

extension Clock {
    /// The operating system's clock, in whole epoch seconds.
    package static let system = Clock { Int64(Date().timeIntervalSince1970) }
}
