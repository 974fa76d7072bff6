import ArgumentParser
import SluiceClient
import SluiceCommandLine
import SluiceCore

struct Topics: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list, describe, alter and delete topics.",
        subcommands: [Create.self, List.self, Describe.self, Alter.self, Delete.self, DeleteRecords.self]
    )
}

extension Topics {
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a topic.", discussion: "Settings not given take their defaults.")

        @OptionGroup var location: Location

        @Argument(help: "The topic's name: letters, digits, '.', '_' and '-'.")
        var name: String

        @Option(help: ArgumentHelp("Number of partitions.", valueName: "n"))
        var partitions: Int32 = 1

        @OptionGroup var settings: TopicSettings

        func validate() throws {
            guard partitions >= 1 else { throw ValidationError("--partitions must be at least 1") }
        }

        func run() async throws {
            try await reportingErrors("topics create") { () async throws(SluiceError) in
                try await withClient(location) { client throws(SluiceError) in
                    try await client.createTopic(name, partitions: partitions, config: settings.entries)
                    Output.line("created topic '\(name)' with \(partitions) partition\(partitions == 1 ? "" : "s")")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List topics.",
            discussion: "Prints one name per line, or with --json an array of {\"name\", \"partitions\"}.")

        @OptionGroup var location: Location

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            try await reportingErrors("topics list") { () async throws(SluiceError) in
                try await withClient(location) { client throws(SluiceError) in
                    let topics = try await client.metadata(nil).sorted { $0.name < $1.name }
                    if json {
                        Output.line(
                            JSON.array(
                                topics.map { topic in
                                    var members: [(String, JSON)] = [
                                        ("name", .string(topic.name)),
                                        (
                                            "partitions",
                                            topic.error == nil ? .int(Int64(topic.partitions.count)) : .null
                                        ),
                                    ]
                                    if let error = topic.error { members.append(("error", .string(error.message))) }
                                    return .object(members)
                                }
                            ).text)
                    } else {
                        for topic in topics { Output.line(topic.name) }
                    }
                }
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a topic's partitions and settings.",
            discussion: """
                Offsets per partition: earliest is the first still stored, latest the next to be written.
                --json prints {"name", "partitions": [{"partition", "earliest_offset", "latest_offset", \
                "size_bytes"}], "config": {...}}; unlimited settings are null.
                """)

        @OptionGroup var location: Location

        @Argument(help: "The topic.")
        var name: String

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            try await reportingErrors("topics describe") { () async throws(SluiceError) in
                try await withClient(location) { client throws(SluiceError) in
                    let topic = try await client.describeTopic(name)
                    if json {
                        Output.line(Self.json(topic).text)
                    } else {
                        for line in Self.table(topic) { Output.line(line) }
                    }
                }
            }
        }

        static func json(_ topic: TopicDescription) -> JSON {
            .object([
                ("name", .string(topic.name)),
                (
                    "partitions",
                    .array(
                        topic.partitions.map { partition in
                            .object([
                                ("partition", .int(Int64(partition.partition))),
                                ("earliest_offset", .int(partition.logStartOffset)),
                                ("latest_offset", .int(partition.nextOffset)),
                                ("size_bytes", partition.sizeBytes.map { .int($0) } ?? .null),
                            ])
                        })
                ),
                (
                    "config",
                    .object(
                        topic.configs.map { entry in
                            guard let value = entry.value else { return (entry.key, .null) }
                            if let number = Int64(value) { return (entry.key, .int(number)) }
                            return (entry.key, .string(value))
                        })
                ),
            ])
        }

        static func table(_ topic: TopicDescription) -> [String] {
            var lines = [
                "topic \(topic.name), \(topic.partitionCount) partition\(topic.partitionCount == 1 ? "" : "s")", "",
            ]
            let rows =
                [["PARTITION", "EARLIEST", "LATEST", "BYTES"]]
                + topic.partitions.map {
                    [
                        String($0.partition), String($0.logStartOffset), String($0.nextOffset),
                        $0.sizeBytes.map(String.init) ?? "?",
                    ]
                }
            let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                lines.append(
                    zip(row, widths).map { cell, width in pad(cell, width, right: true) }.joined(separator: "  "))
            }
            lines.append("")
            let keyWidth = topic.configs.map(\.key.count).max() ?? 0
            for entry in topic.configs {
                lines.append(pad(entry.key, keyWidth, right: false) + "  " + (entry.value ?? "unlimited"))
            }
            return lines
        }

        private static func pad(_ text: String, _ width: Int, right: Bool) -> String {
            let padding = String(repeating: " ", count: max(0, width - text.count))
            return right ? padding + text : text + padding
        }
    }

    struct Alter: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a topic's partition count or settings.",
            discussion: "Settings not given keep their values. Partitions can only be added.")

        @OptionGroup var location: Location

        @Argument(help: "The topic.")
        var name: String

        @Option(help: ArgumentHelp("New number of partitions (only growing).", valueName: "n"))
        var partitions: Int32?

        @OptionGroup var settings: TopicSettings

        func validate() throws {
            if let partitions, partitions < 1 { throw ValidationError("--partitions must be at least 1") }
            if partitions == nil && settings.entries.isEmpty {
                throw ValidationError("nothing to change: give --partitions or a setting")
            }
        }

        func run() async throws {
            try await reportingErrors("topics alter") { () async throws(SluiceError) in
                try await withClient(location) { client throws(SluiceError) in
                    try await client.alterTopic(name, partitions: partitions, configs: settings.entries)
                    Output.line("altered topic '\(name)'")
                }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a topic and all its records.")

        @OptionGroup var location: Location

        @Argument(help: "The topic.")
        var name: String

        func run() async throws {
            try await reportingErrors("topics delete") { () async throws(SluiceError) in
                try await withClient(location) { client throws(SluiceError) in
                    try await client.deleteTopic(name)
                    Output.line("deleted topic '\(name)'")
                }
            }
        }
    }

    struct DeleteRecords: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete-records",
            abstract: "Delete a partition's records below an offset.",
            discussion: """
                Raises the partition's log start to --before (or past every record stored with --all), as \
                retention does, and gives the space back. Consumers and groups positioned below it move to the new \
                log start by their reset policy. Prints the new log start, or with --json {"topic", "partition", \
                "log_start_offset"}.
                """)

        @OptionGroup var location: Location

        @Argument(help: "The topic.")
        var name: String

        @Option(help: ArgumentHelp("The partition.", valueName: "p"))
        var partition: Int32

        @Option(help: ArgumentHelp("Delete the records below this offset.", valueName: "offset"))
        var before: Int64?

        @Flag(help: "Delete every record stored (up to the partition's next offset).")
        var all = false

        @Flag(help: "Print JSON.")
        var json = false

        func validate() throws {
            if partition < 0 { throw ValidationError("--partition must be at least 0") }
            switch (before, all) {
            case (nil, false): throw ValidationError("give --before OFFSET or --all")
            case (.some, true): throw ValidationError("--before and --all go alone")
            case (let offset?, false) where offset < 0: throw ValidationError("--before must be at least 0")
            default: break
            }
        }

        func run() async throws {
            try await reportingErrors("topics delete-records") { () async throws(SluiceError) in
                try await withClient(location) { client throws(SluiceError) in
                    let logStart = try await client.deleteRecords(topic: name, partition: partition, before: before)
                    if json {
                        Output.line(
                            JSON.object([
                                ("topic", .string(name)), ("partition", .int(Int64(partition))),
                                ("log_start_offset", .int(logStart)),
                            ]).text)
                    } else {
                        Output.line("partition \(partition) of topic '\(name)' now starts at offset \(logStart)")
                    }
                }
            }
        }
    }
}
