import ArgumentParser

/// `sluice bench ...`: runs `sluice-bench` from the directory of the running `sluice`, as `sluice mirror` runs
/// `sluice-mirror`. The bench's flags, help and report are `sluice-bench`'s own (`Sources/SluiceBench`); it links
/// the HDR histogram, which `sluice serve` has no use for.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure throughput and latency of a running server.",
        discussion: "Runs sluice-bench, installed next to sluice, with every argument: see `sluice bench --help`.")

    @Argument(parsing: .captureForPassthrough, help: "Arguments for sluice-bench: produce, consume or end-to-end.")
    var arguments: [String] = []

    func run() throws {
        try SiblingExecutable.exec(
            "sluice-bench", arguments: arguments, command: "sluice bench",
            install: "install sluice-bench next to sluice (it is built with `swift build --product sluice-bench`)")
    }
}
