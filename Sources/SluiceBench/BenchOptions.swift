import ArgumentParser
import SluiceCommandLine
import SluiceCore

/// What every bench mode takes: where the server is, how much to send, which topic, how to report.
struct BenchOptions: ParsableArguments {
    @OptionGroup var location: Location

    @Option(help: ArgumentHelp("Messages to send, or to read (default 100000).", valueName: "n"))
    var messages: Int?

    @Option(help: ArgumentHelp("Run for this long instead of a number of messages.", valueName: "seconds"))
    var duration: Double?

    @Option(help: ArgumentHelp("Bytes of each message's value.", valueName: "bytes"))
    var size: Int = 100

    @Option(help: ArgumentHelp("Use this existing topic instead of creating one.", valueName: "name"))
    var topic: String?

    @Option(help: ArgumentHelp("Partitions of the topic the bench creates (default 1).", valueName: "n"))
    var partitions: Int32?

    @Option(
        help: ArgumentHelp(
            "Durability of the topic the bench creates: full or normal (default full).",
            valueName: "level"))
    var durability: BenchDurability?

    @Flag(help: "Keep the topic the bench created.")
    var keep = false

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    @Option(help: ArgumentHelp("The server's process id, to report its CPU time (Linux /proc).", valueName: "pid"))
    var serverPid: Int32?

    static let defaultMessages = 100_000

    func validate() throws {
        if messages != nil && duration != nil { throw ValidationError("give --messages or --duration, not both") }
        if let messages, messages < 1 { throw ValidationError("--messages must be at least 1") }
        if let duration, !(duration > 0 && duration <= 86_400) {
            throw ValidationError("--duration must be between 0 and 86400 seconds")
        }
        if size < 0 || size > 16 << 20 { throw ValidationError("--size must be between 0 and 16777216") }
        if topic != nil && (partitions != nil || durability != nil) {
            throw ValidationError("--partitions and --durability apply to a topic the bench creates, not to --topic")
        }
        if let partitions, partitions < 1 || partitions > 10_000 {
            throw ValidationError("--partitions must be between 1 and 10000")
        }
        if topic != nil && keep { throw ValidationError("--keep applies to a topic the bench creates") }
    }

    /// How many messages the run sends or reads: `Int.max` when it runs for a duration.
    var budget: Int { duration == nil ? (messages ?? Self.defaultMessages) : Int.max }
}

/// How the producers of `produce` and `end-to-end` send.
struct BenchProducerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Producers, each on a connection of its own.", valueName: "n"))
    var producers: Int = 1

    @Option(
        help: ArgumentHelp(
            "Messages per batch: the producer's batch size, or with --window the messages in each request "
                + "(default 1000, or 1 with --window).", valueName: "n"))
    var batch: Int?

    @Option(
        help: ArgumentHelp(
            "How long the batching producer lets a message wait for others (default 0: a batch goes as soon as the "
                + "partition has none in flight, and grows while one is).", valueName: "ms"))
    var lingerMs: Int?

    @Option(help: ArgumentHelp("commit: wait until stored; none: don't wait for the server.", valueName: "acks"))
    var acks: AcksOption = .commit

    @Option(
        help: ArgumentHelp(
            "Send requests directly, this many in flight per producer, instead of through the batching producer; "
                + "--window 1 sends one message and waits for its ack before the next.", valueName: "n"))
    var window: Int?

    @Option(help: ArgumentHelp("Send at most this many messages per second in all.", valueName: "msgs/s"))
    var rate: Double?

    func validate() throws {
        if producers < 1 || producers > 4096 { throw ValidationError("--producers must be between 1 and 4096") }
        if let batch, batch < 1 || batch > 1_000_000 { throw ValidationError("--batch must be between 1 and 1000000") }
        if let lingerMs, lingerMs < 0 { throw ValidationError("--linger-ms cannot be negative") }
        if let window, window < 1 || window > 1024 { throw ValidationError("--window must be between 1 and 1024") }
        if window != nil && lingerMs != nil {
            throw ValidationError("--linger-ms applies to the batching producer, not to --window")
        }
        if let rate, !(rate > 0) { throw ValidationError("--rate must be positive") }
    }

    var batchSize: Int { batch ?? (window == nil ? 1000 : 1) }
}

/// `--durability`: the setting of a topic the bench creates.
enum BenchDurability: String, ExpressibleByArgument, CaseIterable {
    case full, normal
}

/// `--consumers` for `consume` and `end-to-end`.
struct BenchConsumerOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Consumers, each on a connection of its own, sharing the partitions.", valueName: "n"))
    var consumers: Int = 1

    func validate() throws {
        if consumers < 1 || consumers > 1024 { throw ValidationError("--consumers must be between 1 and 1024") }
    }

    /// Each consumer reads partitions of its own, so there can be no more consumers than partitions.
    func check(partitions: Int32) throws(SluiceError) {
        guard consumers <= Int(partitions) else {
            throw SluiceError(
                .invalidArgument,
                """
                \(consumers) consumers for \(partitions) partition\
                \(partitions == 1 ? "" : "s"): there cannot be more consumers than partitions
                """)
        }
    }
}
