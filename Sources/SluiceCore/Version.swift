/// The version of this build of Sluice.
package enum SluiceVersion {
    package static let current = "0.1.0"
}
