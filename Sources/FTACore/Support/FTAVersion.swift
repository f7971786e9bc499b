/// The version every command reports.
package enum FTAVersion {
    package static let string = "0.1.0"
}
