// sluice-dev: developer tools that drive the storage layer (and, for share groups, the broker) directly
// (benchmarks, crash-test children).
// Plain Swift with no argument parser: each command is a small file with a `run(_:)` entry point.

let usage = """
    usage: sluice-dev <command> [arguments]

    commands:
      append-loop DATA_DIR TOPIC [--durability full|normal]
          Create TOPIC if missing, then append deterministic batches forever, printing
          "<baseOffset> <count>" on stdout after each committed batch. Used by the crash test.
      storage-bench DIR --records N --batch B --size BYTES --durability full|normal [--cleanup-policy P]
          Append N records of BYTES-byte values in batches of B, then read them back in chunks of 1000;
          print one CSV line per phase: phase,MODE,batch,size,records,seconds,records_per_second.
      retention-bench DIR [--backlog N] [--produces P] [--batch B] [--size BYTES] [--durability full|normal]
                          [--idle-budget-us U] [--busy-budget-us U] [--busy-interval-ms M]
                          [--cleanup-policy P] [--keys K]
          Produce latency (one producer, one batch in flight) without a sweep, then while the sweeper deletes
          a backlog of N expired records (or, under compaction, compacts N records over K keys); print
          phase,produces,p50_ms,p99_ms,max_ms,max_wal_bytes per phase,
          then the sweep's figures as "# key value" lines.
      create-topics DATA_DIR COUNT [--prefix P] [--durability full|normal]
          Create topics P0 … P<COUNT-1> (one partition each, P defaults to "topic-") through the storage layer,
          leaving those that exist; print "created N seconds S". Used by Scripts/bench-topics.
      share-loop DATA_DIR TOPIC COUNT
          Through the broker: create TOPIC with COUNT records if missing, then take them through the share
          group "crash", accepting two records in three, printing "acquired <offset> <count>" and
          "accepted <offset>" as each is committed. Used by the share-group crash test.
    """

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else {
    Output.fail(usage, status: 2)
}
let rest = Array(arguments.dropFirst())

do {
    switch command {
    case "append-loop":
        try AppendLoop.run(rest)
    case "storage-bench":
        try StorageBench.run(rest)
    case "retention-bench":
        try RetentionBench.run(rest)
    case "create-topics":
        try CreateTopics.run(rest)
    case "share-loop":
        try await ShareLoop.run(rest)
    case "-h", "--help", "help":
        Output.line(usage)
    default:
        Output.fail("unknown command '\(command)'\n\n\(usage)", status: 2)
    }
} catch let error as UsageError {
    Output.fail("\(error.message)\n\n\(usage)", status: 2)
} catch {
    Output.fail("sluice-dev \(command): \(error)")
}
