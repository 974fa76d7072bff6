// sluice-dev: developer tools that drive the storage layer directly (benchmarks, crash-test children).
// Plain Swift with no argument parser: each command is a small file with a `run(_:)` entry point.

let usage = """
    usage: sluice-dev <command> [arguments]

    commands:
      append-loop DATA_DIR TOPIC [--durability full|normal]
          Create TOPIC if missing, then append deterministic batches forever, printing
          "<baseOffset> <count>" on stdout after each committed batch. Used by the crash test.
      storage-bench DIR --records N --batch B --size BYTES --durability full|normal
          Append N records of BYTES-byte values in batches of B, then read them back in chunks of 1000;
          print one CSV line per phase: phase,MODE,batch,size,records,seconds,records_per_second.
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
