import ArgumentParser
import SluiceCore

@main
struct Sluice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "A persistent, Kafka-style message log and queue for one host.",
        version: SluiceVersion.current,
        subcommands: [
            Serve.self, Topics.self, Produce.self, Consume.self, Groups.self, Stats.self, BackupCommand.self,
            RestoreCommand.self, Mirror.self, Bench.self, Users.self,
        ]
    )
}
