import ArgumentParser
import SluiceCore

@main
struct Sluice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "A persistent, Kafka-style message log and queue for one host.",
        version: SluiceVersion.current,
        subcommands: [Serve.self, Topics.self, Produce.self, Consume.self, Groups.self, Stats.self, BackupCommand.self,
                      RestoreCommand.self, Mirror.self, Bench.self]
    )
}

/// Where the data lives and where the socket is, shared by every command.
struct Location: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Unix socket of the server.", valueName: "path"))
    var socket: String?

    /// `--socket`, else `$SLUICE_SOCKET`, else `DATA_DIR/sluice.sock` with the data directory's own default.
    func socketPath(dataDirectory: String? = nil) -> String {
        if let socket { return socket }
        if let env = Environment.value("SLUICE_SOCKET"), !env.isEmpty { return env }
        return "\(dataDirectory ?? Location.defaultDataDirectory)/sluice.sock"
    }

    /// `$SLUICE_DATA_DIR`, else `./sluice-data`.
    static var defaultDataDirectory: String {
        if let env = Environment.value("SLUICE_DATA_DIR"), !env.isEmpty { return env }
        return "./sluice-data"
    }
}
