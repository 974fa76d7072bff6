import SluiceCore
import SluiceStorage

/// `create-topics DATA_DIR COUNT [--prefix P] [--durability full|normal]`: creates topics `P0` … `P<COUNT-1>`
/// (one partition each) straight through the storage layer, with no server, for `Scripts/bench-topics`; prints the
/// count created and the seconds it took.
///
/// Each topic is created as the server creates one (`Store.createTopic`: catalog row, database, partition table),
/// so a server opened on the directory afterwards finds what it would have made itself. Topics that exist are left.
enum CreateTopics {
    static func run(_ arguments: [String]) throws {
        let options = try Arguments(arguments, options: ["prefix", "durability"])
        guard options.positional.count == 2, let count = Int(options.positional[1]), count >= 0 else {
            throw UsageError("create-topics needs DATA_DIR and COUNT")
        }
        let prefix = options.string("prefix") ?? "topic-"
        let durability = try options.durability(default: .full)
        let store = try Store(path: options.positional[0])
        let existing = Set(try store.topics().map(\.name))
        let started = ContinuousClock.now
        var created = 0
        for index in 0..<count where !existing.contains("\(prefix)\(index)") {
            try store.createTopic(
                "\(prefix)\(index)", config: TopicConfig(durability: durability), now: wallClockMillis())
            created += 1
        }
        let elapsed = started.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        Output.line("created \(created) seconds \(seconds)")
    }
}
