import ArgumentParser
import SluiceCore

/// `sluice bench` (the `sluice-bench` executable, which `sluice bench` runs): throughput and latency of a running
/// server, measured from a client process.
package struct Bench: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "sluice bench",
        abstract: "Measure throughput and latency of a running server.",
        discussion: """
            The bench is a client: start the server separately ('sluice serve') and point the bench at its socket \
            with --socket (or $SLUICE_SOCKET). Unless --topic names an existing topic, each run creates a topic \
            'bench-XXXXXXXX' with --partitions and --durability and deletes it afterwards (--keep keeps it).

            The report gives messages, seconds, messages/s, MB/s (payload bytes, 10^6 per MB) and latency \
            percentiles in microseconds from an HDR histogram; --json prints it as one JSON object with at least \
            messages, seconds, messages_per_second, mb_per_second and latency_us {p50, p90, p99, p999, max}. With \
            --server-pid it also gives the server's CPU time next to the client's, to show which side is the \
            bottleneck. On a terminal a progress line shows the rate so far. Ctrl-C stops early and reports what \
            was done.
            """,
        version: SluiceVersion.current,
        subcommands: [BenchProduce.self, BenchConsume.self, BenchEndToEnd.self, BenchShare.self])

    package init() {}
}
