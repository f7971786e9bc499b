/// The version every command reports.
public enum FTAVersion {
    public static let string = "0.1.0"
}
