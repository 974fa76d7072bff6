/// The version of this build of Sluice.
public enum SluiceVersion {
    public static let current = "0.1.0"
}
