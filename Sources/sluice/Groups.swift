import ArgumentParser
import SluiceClient
import SluiceCommandLine
import SluiceCore

struct Groups: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, describe, reset and delete consumer groups.",
        subcommands: [List.self, Describe.self, ResetOffsets.self, Delete.self]
    )
}

extension Groups {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List consumer groups (with live members or committed offsets).",
            discussion: "Prints one name per line, or with --json an array of {\"group\", \"state\", \"members\"}.")

        @OptionGroup var location: Location

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            try await reportingErrors("groups list") { () async throws(SluiceError) in
                try await withClient(location) { client throws(SluiceError) in
                    let groups = try await client.listGroups()
                    if json {
                        Output.line(
                            JSON.array(
                                groups.map {
                                    .object([
                                        ("group", .string($0.name)), ("state", .string($0.state.rawValue)),
                                        ("members", .int(Int64($0.memberCount))),
                                    ])
                                }
                            ).text)
                    } else {
                        for group in groups { Output.line(group.name) }
                    }
                }
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a group's state, members, and per partition its owner, committed offset and lag.",
            discussion: """
                --json prints {"group", "state", "generation", "members": [{"member_id", "client_id", "topics", \
                "partitions"}], "partitions": [{"topic", "partition", "owner", "committed_offset", "end_offset", \
                "lag"}]}; committed_offset is null where the group has committed nothing, and lag then counts from \
                the log start.
                """)

        @OptionGroup var location: Location

        @Argument(help: "The group.")
        var group: String

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            try await reportingErrors("groups describe") { () async throws(SluiceError) in
                try await withClient(location) { client throws(SluiceError) in
                    let description = try await client.describeGroup(group)
                    if json {
                        Output.line(Self.json(description).text)
                    } else {
                        for line in Self.table(description) { Output.line(line) }
                    }
                }
            }
        }

        static func partitions(_ topics: [GroupDescription.TopicPartitions]) -> [String] {
            topics.flatMap { topic in topic.partitions.map { "\(topic.name)[\($0)]" } }
        }

        static func json(_ group: GroupDescription) -> JSON {
            .object([
                ("group", .string(group.group)),
                ("state", .string(group.state.rawValue)),
                ("generation", .int(Int64(group.generation))),
                (
                    "members",
                    .array(
                        group.members.map { member in
                            .object([
                                ("member_id", .string(member.memberID)),
                                ("client_id", .string(member.clientID)),
                                ("topics", .array(member.topics.map { .string($0) })),
                                (
                                    "partitions",
                                    .array(
                                        member.owned.flatMap { topic in
                                            topic.partitions.map {
                                                .object([
                                                    ("topic", .string(topic.name)), ("partition", .int(Int64($0))),
                                                ])
                                            }
                                        })
                                ),
                            ])
                        })
                ),
                (
                    "partitions",
                    .array(
                        group.topics.flatMap { topic in
                            topic.partitions.map { partition in
                                .object([
                                    ("topic", .string(topic.name)),
                                    ("partition", .int(Int64(partition.partition))),
                                    ("owner", partition.owner.map { .string($0) } ?? .null),
                                    ("committed_offset", partition.committedOffset.map { .int($0) } ?? .null),
                                    ("end_offset", .int(partition.endOffset)),
                                    ("lag", partition.lag.map { .int($0) } ?? .null),
                                ])
                            }
                        })
                ),
            ])
        }

        static func table(_ group: GroupDescription) -> [String] {
            var lines = [
                "group \(group.group), \(group.state.rawValue), generation \(group.generation), "
                    + "\(group.members.count) member\(group.members.count == 1 ? "" : "s")"
            ]
            for member in group.members {
                let owned = partitions(member.owned).joined(separator: " ")
                let pending = partitions(member.pending)
                lines.append(
                    "  \(member.memberID) (\(member.clientID)): \(owned.isEmpty ? "-" : owned)"
                        + (pending.isEmpty ? "" : " (waiting for \(pending.joined(separator: " ")))"))
            }
            lines.append("")
            let rows =
                [["TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "OWNER"]]
                + group.topics.flatMap { topic in
                    topic.partitions.map { partition in
                        [
                            topic.name, String(partition.partition), partition.committedOffset.map(String.init) ?? "-",
                            String(partition.endOffset), partition.lag.map(String.init) ?? "-", partition.owner ?? "-",
                        ]
                    }
                }
            let widths = (0..<6).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                lines.append(
                    zip(row, widths).map { cell, width in
                        cell + String(repeating: " ", count: max(0, width - cell.count))
                    }.joined(separator: "  ").trimmingTrailingSpaces())
            }
            return lines
        }
    }

    struct ResetOffsets: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-offsets",
            abstract: "Move a group's committed offsets on every partition of a topic.",
            discussion: "Refused while the group has live members: stop them first.")

        @OptionGroup var location: Location

        @Argument(help: "The group.")
        var group: String

        @Option(help: ArgumentHelp("The topic whose offsets move.", valueName: "topic"))
        var topic: String

        @Flag(help: "To the first record still stored.")
        var toEarliest = false

        @Flag(help: "To the end: only new records will be consumed.")
        var toLatest = false

        @Option(help: ArgumentHelp("To this offset (clamped to what is stored).", valueName: "n"))
        var toOffset: Int64?

        @Option(
            help: ArgumentHelp(
                "To the first record at or after this time, e.g. 2026-11-25T10:00:00Z.",
                valueName: "iso8601"))
        var toTime: String?

        @Flag(help: "Print JSON: an array of {\"partition\", \"offset\"}.")
        var json = false

        func validate() throws {
            let chosen = [toEarliest, toLatest, toOffset != nil, toTime != nil].filter { $0 }.count
            if chosen != 1 {
                throw ValidationError("give exactly one of --to-earliest, --to-latest, --to-offset and --to-time")
            }
            if let toOffset, toOffset < 0 { throw ValidationError("--to-offset cannot be negative") }
            if let toTime, ISO8601.milliseconds(toTime) == nil {
                throw ValidationError(
                    "--to-time must be an ISO 8601 time such as 2026-11-25T10:00:00Z, not '\(toTime)'")
            }
        }

        func run() async throws {
            let mode: OffsetResetTarget
            if toEarliest {
                mode = .earliest
            } else if toLatest {
                mode = .latest
            } else if let toOffset {
                mode = .offset(toOffset)
            } else {
                mode = .timestamp(max(0, ISO8601.milliseconds(toTime ?? "") ?? 0))
            }
            try await reportingErrors("groups reset-offsets") { () async throws(SluiceError) in
                try await withClient(location) { client throws(SluiceError) in
                    let partitions = try await client.resetOffsets(group: group, topic: topic, to: mode)
                    if json {
                        Output.line(
                            JSON.array(
                                partitions.map {
                                    .object([("partition", .int(Int64($0.partition))), ("offset", .int($0.offset))])
                                }
                            ).text)
                    } else {
                        for partition in partitions {
                            Output.line("\(topic) \(partition.partition) \(partition.offset)")
                        }
                    }
                }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a group's committed offsets.", discussion: "Refused while the group has live members.")

        @OptionGroup var location: Location

        @Argument(help: "The group.")
        var group: String

        func run() async throws {
            try await reportingErrors("groups delete") { () async throws(SluiceError) in
                try await withClient(location) { client throws(SluiceError) in
                    try await client.deleteGroup(group)
                    Output.line("deleted group '\(group)'")
                }
            }
        }
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
