import ArgumentParser
import Dispatch
import SluiceClient
import SluiceCommandLine
import SluiceCore
import Synchronization

struct Produce: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send each line of standard input as a message.",
        discussion: """
            The trailing newline is stripped; an empty line is an empty message. Exits 0 once every message is \
            acknowledged; on an error, exits 1 saying how many were.
            """)

    @OptionGroup var location: Location

    @Argument(help: "The topic.")
    var topic: String

    @Option(
        help: ArgumentHelp(
            "Send every message to this partition (default: by key, else spread).",
            valueName: "p"))
    var partition: Int32?

    @Option(help: ArgumentHelp("The key of every message.", valueName: "key"))
    var key: String?

    @Option(
        help: ArgumentHelp(
            "Split each line at the first SEP into key and value (no SEP: no key).", valueName: "sep"))
    var keySeparator: String?

    @Option(
        name: .customLong("header"),
        help: ArgumentHelp(
            "A header for every message; repeat for more.", valueName: "name=value"))
    var headers: [String] = []

    @Option(help: ArgumentHelp("commit: wait until stored; none: don't wait for the server.", valueName: "acks"))
    var acks: AcksOption = .commit

    @Option(help: ArgumentHelp("How long a message may wait to join a batch.", valueName: "ms"))
    var lingerMs: Int = 5

    @Option(help: ArgumentHelp("Most messages per partition in one batch.", valueName: "n"))
    var batchSize: Int = 1000

    @Flag(help: "Print 'PARTITION OFFSET' for each message as it is acknowledged.")
    var printOffsets = false

    func validate() throws {
        if key != nil && keySeparator != nil { throw ValidationError("give --key or --key-separator, not both") }
        if keySeparator == "" { throw ValidationError("--key-separator cannot be empty") }
        if let partition, partition < 0 { throw ValidationError("--partition cannot be negative") }
        for header in headers where !header.contains("=") {
            throw ValidationError("--header must be NAME=VALUE, not '\(header)'")
        }
        if lingerMs < 0 { throw ValidationError("--linger-ms cannot be negative") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if printOffsets && acks == .none { throw ValidationError("--print-offsets needs --acks commit") }
    }

    func run() async throws {
        try await reportingErrors("produce") { () async throws(SluiceError) in
            var configuration = ProducerConfiguration()
            configuration.lingerMs = lingerMs
            configuration.batchSize = batchSize
            configuration.acks = acks == .none ? .none : .afterCommit
            let producer = try await Producer.connect(socketPath: location.socketPath(), configuration: configuration)
            // Fail fast on an unknown topic or partition, before reading any input.
            let count = try await producer.partitionCount(topic: topic)
            if let partition, partition >= count {
                await producer.close()
                throw SluiceError.unknownPartition(topic, partition, count: count)
            }
            let progress = ProduceProgress(printOffsets: printOffsets)
            let (sent, readError) = await sendLines(producer, progress)
            await producer.close()
            progress.finish()
            if let error = readError ?? progress.firstError {
                throw SluiceError(
                    error.code, "\(error.message) (\(progress.acknowledged) of \(sent) messages acknowledged)")
            }
        }
    }

    /// Sends every line of standard input, stopping early after the first failure; returns how many were sent, and
    /// the error that stopped reading, if any.
    private func sendLines(_ producer: Producer, _ progress: ProduceProgress) async -> (Int, SluiceError?) {
        let headers = self.headers.map { header in
            let parts = header.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return Header(name: String(parts[0]), value: Array(parts[1].utf8))
        }
        let fixedKey = key.map { Array($0.utf8) }
        let separator = keySeparator.map { Array($0.utf8) }
        let limit = producer.configuration.maxBufferedRecords
        var reader = LineReader(fd: 0)
        var sent = 0
        while true {
            let line: [UInt8]
            do throws(SluiceError) {
                guard let next = try reader.next() else { break }
                line = next
            } catch {
                return (sent, error)
            }
            if progress.hasFailed { break }
            var record = ProducerRecord(key: fixedKey, value: line, headers: headers)
            if let separator, let split = Self.split(line, at: separator) {
                record.key = split.key
                record.value = split.value
            }
            producer.send(record, topic: topic, partition: partition) { progress.record($0) }
            sent += 1
            if sent % 256 == 0, producer.bufferedRecords >= limit { await producer.waitForCapacity() }
        }
        return (sent, nil)
    }

    /// Splits `line` at the first occurrence of `separator`; `nil` if it has none.
    static func split(_ line: [UInt8], at separator: [UInt8]) -> (key: [UInt8], value: [UInt8])? {
        guard line.count >= separator.count, let first = separator.first else { return nil }
        var index = 0
        while index + separator.count <= line.count {
            if line[index] == first, line[index..<index + separator.count].elementsEqual(separator) {
                return (Array(line[..<index]), Array(line[(index + separator.count)...]))
            }
            index += 1
        }
        return nil
    }
}

/// Counts acknowledgements and keeps the first error; with `printOffsets`, writes `PARTITION OFFSET` lines as acks
/// arrive, gathered into one write per burst (acks come in batches, on event-loop threads that must not block).
final class ProduceProgress: Sendable {
    private struct State {
        var acknowledged = 0
        var firstError: SluiceError?
        var pending: [UInt8] = []
        var writeScheduled = false
    }

    private let printOffsets: Bool
    private let state = Mutex(State())
    private let writer = DispatchQueue(label: "sluice.produce.output")

    init(printOffsets: Bool) {
        self.printOffsets = printOffsets
    }

    var acknowledged: Int { state.withLock { $0.acknowledged } }
    var firstError: SluiceError? { state.withLock { $0.firstError } }
    var hasFailed: Bool { state.withLock { $0.firstError != nil } }

    func record(_ result: Result<RecordMetadata, SluiceError>) {
        let schedule = state.withLock { state -> Bool in
            switch result {
            case .success(let metadata):
                state.acknowledged += 1
                guard printOffsets else { return false }
                state.pending.append(contentsOf: "\(metadata.partition) \(metadata.offset)\n".utf8)
                guard !state.writeScheduled else { return false }
                state.writeScheduled = true
                return true
            case .failure(let error):
                if state.firstError == nil { state.firstError = error }
                return false
            }
        }
        if schedule { writer.async { self.writePending() } }
    }

    private func writePending() {
        let bytes = state.withLock { state -> [UInt8] in
            state.writeScheduled = false
            defer { state.pending = [] }
            return state.pending
        }
        // A reader that went away stops the offsets, not the produce: every line is still sent.
        if !bytes.isEmpty { try? RawOutput.write(bytes) }
    }

    /// Writes whatever is still pending; call once every record has completed.
    func finish() {
        writer.sync { self.writePending() }
    }
}
