/// Why a mirror could not start or had to stop.
package enum MirrorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The command line or a librdkafka setting is wrong (exit 64).
    case usage(String)
    /// The source, the cluster or a delivery failed (exit 1).
    case runtime(String)

    package var description: String {
        switch self {
        case .usage(let message), .runtime(let message): message
        }
    }

    /// The process exit code for this error: 64 for usage, 1 at run time.
    package var exitCode: Int32 {
        switch self {
        case .usage: 64
        case .runtime: 1
        }
    }
}
