import ArgumentParser

/// `sluice mirror ...`: runs `sluice-mirror` from the directory of the running `sluice`, as git runs its
/// subcommands. The mirror links librdkafka, which the rest of `sluice` does not need: about 2.4 MB more resident
/// memory for every `sluice serve` that never mirrors.
struct Mirror: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy topics into a Kafka cluster (runs sluice-mirror; see `sluice mirror --help`).",
        discussion: "Every argument goes to sluice-mirror, which is installed next to sluice.")

    @Argument(parsing: .captureForPassthrough, help: "Arguments for sluice-mirror.")
    var arguments: [String] = []

    func run() throws {
        try SiblingExecutable.exec(
            "sluice-mirror", arguments: arguments, command: "sluice mirror",
            install: "sluice-mirror was not built or not installed next to sluice. It is built only where librdkafka's "
                + "development files are (apt-get install librdkafka-dev, then swift build -c release --product "
                + "sluice-mirror) and installed beside sluice")
    }
}
