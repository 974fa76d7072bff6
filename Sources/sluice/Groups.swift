import ArgumentParser
import SluiceClient
import SluiceCommandLine
import SluiceCore

struct Groups: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, describe, configure, reset and delete consumer groups and share groups.",
        subcommands: [List.self, Describe.self, Alter.self, ResetOffsets.self, Delete.self]
    )
}

extension Groups {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List groups (with live members, committed offsets, settings or share state).",
            discussion: """
                Prints one name per line; --long prints a table of name, type (consumer, classic or share), state \
                and members, and --json an array of {"group", "state", "members", "type"}.
                """)

        @OptionGroup var location: Location

        @Flag(help: "Print JSON.")
        var json = false

        @Flag(name: [.customShort("l"), .long], help: "Print each group's type, state and members too.")
        var long = false

        @Option(help: ArgumentHelp("Only groups of this type: consumer, classic or share.", valueName: "type"))
        var type: String?

        func validate() throws {
            if let type, GroupListing.GroupType(rawValue: type) == nil {
                throw ValidationError("--type must be consumer, classic or share, not '\(type)'")
            }
        }

        func run() async throws {
            try await reportingErrors("groups list") { () async throws(SluiceError) in
                try await withClient(location) { client throws(SluiceError) in
                    var groups = try await client.listGroups()
                    if let type { groups.removeAll { $0.type.rawValue != type } }
                    if json {
                        Output.line(
                            JSON.array(
                                groups.map {
                                    .object([
                                        ("group", .string($0.name)), ("state", .string($0.state.rawValue)),
                                        ("members", .int(Int64($0.memberCount))), ("type", .string($0.type.rawValue)),
                                    ])
                                }
                            ).text)
                    } else if long {
                        let rows =
                            [["GROUP", "TYPE", "STATE", "MEMBERS"]]
                            + groups.map { [$0.name, $0.type.rawValue, $0.state.rawValue, String($0.memberCount)] }
                        for line in Groups.aligned(rows) { Output.line(line) }
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

                For a share group: its members, and per partition its start offset (every record below it is \
                done), the records in flight, acquired (locked to a member), available, delayed, dead-lettered and \
                archived so far, then its settings. --json prints {"group", "type": "share", "state", "members": \
                [{"member_id", "client_id", "member_epoch", "topics", "acquired"}], "partitions": [{"topic", \
                "partition", "start_offset", "end_offset", "in_flight", "acquired", "available", "delayed", \
                "dead_lettered", "archived"}], "config": {...}}; start_offset is null before the group read the \
                partition.
                """)

        @OptionGroup var location: Location

        @Argument(help: "The group.")
        var group: String

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            try await reportingErrors("groups describe") { () async throws(SluiceError) in
                try await withClient(location) { client throws(SluiceError) in
                    let description: GroupDescription
                    do throws(SluiceError) {
                        description = try await client.describeGroup(group)
                    } catch  where error.code == .unknownGroup {
                        // Not a consumer group: perhaps a share group (else the first refusal stands).
                        guard let share = try? await client.describeShareGroup(group) else { throw error }
                        if json {
                            Output.line(Self.json(share).text)
                        } else {
                            for line in Self.table(share) { Output.line(line) }
                        }
                        return
                    }
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
            lines += Groups.aligned(rows)
            return lines
        }

        static func json(_ group: ShareGroupDescription) -> JSON {
            .object([
                ("group", .string(group.group)),
                ("type", .string("share")),
                ("state", .string(group.state.rawValue)),
                (
                    "members",
                    .array(
                        group.members.map { member in
                            .object([
                                ("member_id", .string(member.memberID)),
                                ("client_id", .string(member.clientID)),
                                ("member_epoch", .int(Int64(member.memberEpoch))),
                                ("topics", .array(member.topics.map { .string($0) })),
                                ("acquired", .int(Int64(member.acquiredRecords))),
                            ])
                        })
                ),
                (
                    "partitions",
                    .array(
                        group.partitions.map { partition in
                            .object([
                                ("topic", .string(partition.topic)),
                                ("partition", .int(Int64(partition.partition))),
                                ("start_offset", partition.startOffset.map { .int($0) } ?? .null),
                                ("end_offset", .int(partition.endOffset)),
                                ("in_flight", .int(Int64(partition.inFlight))),
                                ("acquired", .int(Int64(partition.acquired))),
                                ("available", .int(partition.available)),
                                ("delayed", .int(Int64(partition.delayed))),
                                ("dead_lettered", .int(partition.deadLettered)),
                                ("archived", .int(partition.archived)),
                            ])
                        })
                ),
                ("config", .object(group.configs.map { ($0.key, $0.value.map { .string($0) } ?? .null) })),
            ])
        }

        static func table(_ group: ShareGroupDescription) -> [String] {
            var lines = [
                "share group \(group.group), \(group.state.rawValue), "
                    + "\(group.members.count) member\(group.members.count == 1 ? "" : "s")"
            ]
            for member in group.members {
                lines.append(
                    "  \(member.memberID) (\(member.clientID)): \(member.topics.joined(separator: " ")), "
                        + "\(member.acquiredRecords) acquired")
            }
            lines.append("")
            let rows =
                [
                    [
                        "TOPIC", "PARTITION", "START", "END", "IN-FLIGHT", "ACQUIRED", "AVAILABLE", "DELAYED", "DLQ",
                        "ARCHIVED",
                    ]
                ]
                + group.partitions.map { partition in
                    [
                        partition.topic, String(partition.partition), partition.startOffset.map(String.init) ?? "-",
                        String(partition.endOffset), String(partition.inFlight), String(partition.acquired),
                        String(partition.available), String(partition.delayed), String(partition.deadLettered),
                        String(partition.archived),
                    ]
                }
            lines += Groups.aligned(rows)
            lines.append("")
            let width = group.configs.map(\.key.count).max() ?? 0
            for entry in group.configs {
                lines.append(
                    entry.key + String(repeating: " ", count: width - entry.key.count) + "  " + (entry.value ?? "-"))
            }
            return lines
        }
    }

    struct Alter: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a share group's settings.",
            discussion: """
                Keys (Kafka's names): share.record.lock.duration.ms (default 30000), share.delivery.count.limit (5), \
                share.auto.offset.reset (latest or earliest), errors.deadletterqueue.topic.name (none), \
                group.share.partition.max.record.locks (2000), share.session.timeout.ms (45000), \
                share.heartbeat.interval.ms (5000). Works before the group's first member joins, which makes the id \
                a share group's. --json prints the group's settings after the change as {"key": value}.
                """)

        @OptionGroup var location: Location

        @Argument(help: "The group.")
        var group: String

        @Option(
            name: .customLong("config"),
            help: ArgumentHelp("Set a setting (repeatable).", valueName: "key=value"))
        var set: [String] = []

        @Option(
            name: .customLong("delete-config"),
            help: ArgumentHelp("Put a setting back to its default (repeatable).", valueName: "key"))
        var remove: [String] = []

        @Flag(help: "Print JSON.")
        var json = false

        func validate() throws {
            if set.isEmpty && remove.isEmpty { throw ValidationError("give at least one --config or --delete-config") }
            for entry in set where !entry.contains("=") || entry.hasPrefix("=") {
                throw ValidationError("--config takes key=value, not '\(entry)'")
            }
        }

        func run() async throws {
            var entries: [ConfigEntry] = set.map { entry in
                let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return ConfigEntry(key: String(parts[0]), value: String(parts[1]))
            }
            entries += remove.map { ConfigEntry(key: $0, value: nil) }
            try await reportingErrors("groups alter") { () async throws(SluiceError) in
                try await withClient(location) { client throws(SluiceError) in
                    try await client.alterGroupConfig(group, entries)
                    let configs = try await client.describeGroupConfig(group)
                    if json {
                        Output.line(JSON.object(configs.map { ($0.key, $0.value.map { .string($0) } ?? .null) }).text)
                    } else {
                        let width = configs.map(\.key.count).max() ?? 0
                        for entry in configs {
                            Output.line(
                                entry.key + String(repeating: " ", count: width - entry.key.count) + "  "
                                    + (entry.value ?? "-"))
                        }
                    }
                }
            }
        }
    }

    struct ResetOffsets: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-offsets",
            abstract: "Move a group's committed offsets (a share group's start offsets) on every partition of a topic.",
            discussion: """
                Refused while the group has live members: stop them first. A share group forgets what it had in \
                flight on the topic and delivers from the new start offset on.
                """)

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
            abstract: "Delete a group's committed offsets (a share group's settings and state).",
            discussion: "Refused while the group has live members.")

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

extension Groups {
    /// Rows as columns two spaces apart, each as wide as its widest cell.
    static func aligned(_ rows: [[String]]) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            zip(row, widths).map { cell, width in
                cell + String(repeating: " ", count: max(0, width - cell.count))
            }.joined(separator: "  ").trimmingTrailingSpaces()
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
