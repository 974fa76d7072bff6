import SluiceClient
import SluiceCommandLine
import SluiceCore
import SluiceProtocol
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One bench run's surroundings: the admin connection, the topic (created for the run, or given), Ctrl-C, and the
/// monitor that shows progress and enforces `--duration`.
struct BenchSession {
    let options: BenchOptions
    let client: SluiceClient
    let topic: String
    let partitionCount: Int32
    let durability: String
    /// Whether the bench created the topic (and so deletes it when done).
    let created: Bool
    let stop: StopSignal

    var socketPath: String { options.location.socketPath() }

    /// Connects and creates the run's topic, or checks that `--topic` exists.
    static func open(_ options: BenchOptions) async throws(SluiceError) -> BenchSession {
        let stop = StopSignal()
        let client = try await SluiceClient.connect(socketPath: options.location.socketPath())
        do throws(SluiceError) {
            if let name = options.topic {
                let description = try await client.describeTopic(name)
                let durability = (try? description.topicConfig())?.durability.rawValue ?? "unknown"
                return BenchSession(
                    options: options, client: client, topic: name, partitionCount: description.partitionCount,
                    durability: durability, created: false, stop: stop)
            }
            let suffix = String(UInt32.random(in: .min ... .max), radix: 16)
            let name = "bench-" + String(repeating: "0", count: 8 - suffix.count) + suffix
            let partitions = options.partitions ?? 1
            let durability = (options.durability ?? .full).rawValue
            try await client.createTopic(name, partitions: partitions, config: [ConfigEntry(.durability, durability)])
            return BenchSession(
                options: options, client: client, topic: name, partitionCount: partitions, durability: durability,
                created: true, stop: stop)
        } catch {
            await client.close()
            throw error
        }
    }

    var topicPartitions: [TopicPartition] {
        (0..<partitionCount).map { TopicPartition(topic: topic, partition: $0) }
    }

    /// Deletes the topic the bench created, unless `--keep`, and closes the connection.
    func close() async {
        if created && !options.keep {
            do throws(SluiceError) {
                try await client.deleteTopic(topic)
            } catch {
                Output.error("sluice bench: cannot delete topic '\(topic)': \(error.message)")
            }
        }
        await client.close()
    }

    /// Opens a session for `options`, runs `body` in it, closes it (deleting the topic the bench created), prints
    /// the report, and throws the error that ended the run early, if any.
    static func run(
        _ options: BenchOptions, command: String,
        _ body: (BenchSession) async throws(SluiceError) -> (BenchReport, SluiceError?)
    ) async throws {
        try await reportingErrors(command) { () async throws(SluiceError) in
            let session = try await BenchSession.open(options)
            let outcome: (BenchReport, SluiceError?)
            do throws(SluiceError) {
                outcome = try await body(session)
            } catch {
                await session.close()
                throw error
            }
            await session.close()
            let (report, error) = outcome
            Output.line(options.json ? report.json : report.text)
            if let error { throw error }
        }
    }

    /// Runs `work` while watching it: a progress line on a terminal (rate of `count` so far), `--duration` (when
    /// `timed`), Ctrl-C and a run that stops making progress all stop `state`. Returns once `work` has, with the
    /// monotonic time at which it did.
    func monitor(
        _ state: BenchState, label: String, start: UInt64, timed: Bool = true, count: @escaping @Sendable () -> Int,
        work: @escaping @Sendable () async -> Void
    ) async -> UInt64 {
        let finished = BenchFlag()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await work()
                finished.set()
            }
            await watch(state, label: label, start: start, duration: timed ? options.duration : nil, count: count) {
                finished.isSet
            }
        }
        return finished.time
    }

    /// Seconds without progress after which a run is declared stuck.
    static let stallSeconds: Double = 30

    private func watch(
        _ state: BenchState, label: String, start: UInt64, duration: Double?, count: @Sendable () -> Int,
        finished: () -> Bool
    ) async {
        let terminal = isatty(1) != 0
        var printed = false
        var lastCount = count()
        var lastChange = start
        var lastPrint = start
        var failedAt: UInt64?
        let stall = max(Self.stallSeconds, 3 / (state.rate ?? 1))
        while !finished() {
            try? await Task.sleep(for: .milliseconds(50))
            let now = BenchClock.now()
            let elapsed = Double(now &- start) / 1e9
            if stop.isSet { state.stop() }
            if let duration, elapsed >= duration { state.stop() }
            let current = count()
            if current != lastCount {
                lastCount = current
                lastChange = now
            } else if Double(now &- lastChange) / 1e9 > stall, state.error == nil {
                state.fail(SluiceError(.timeout, "no progress for \(Int(stall)) s"))
            }
            if let error = state.error {
                // A server that stopped answering never completes what is in flight: give up after a while.
                failedAt = failedAt ?? now
                if Double(now &- (failedAt ?? now)) / 1e9 > 15 {
                    if printed { Output.write("\r\u{1B}[2K", to: 1) }
                    Output.error("sluice bench: \(error.message); giving up on the messages still in flight")
                    exit(1)
                }
            }
            if terminal, now &- lastPrint >= 1_000_000_000 {
                lastPrint = now
                printed = true
                let rate = elapsed > 0 ? Double(current) / elapsed : 0
                Output.write(
                    "\r\u{1B}[2K\(label): \(BenchFormat.fixed(elapsed, 1)) s, \(BenchFormat.thousands(current)) "
                        + "messages, \(BenchFormat.thousands(Int(rate))) msg/s", to: 1)
            }
        }
        if printed { Output.write("\r\u{1B}[2K", to: 1) }
    }
}
