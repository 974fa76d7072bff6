import ArgumentParser

/// `--acks`: whether a producer waits for the server to store each message (`commit`) or not at all (`none`).
package enum AcksOption: String, ExpressibleByArgument, CaseIterable {
    case none, commit
}
