import SluiceClient
import SluiceCommandLine
import SluiceCore

/// `sluice consume --share-group`: a member of a share group that prints each record and accepts it, or runs
/// `--exec` per record and accepts or releases it by the command's exit status.
extension Consume {
    func consumeShared(group: String, format: MessageFormat, stop: StopSignal) async throws(SluiceError) {
        let consumer = try await ShareConsumer.connect(
            socketPath: location.socketPath(), group: group, topics: [topic],
            configuration: ShareConsumerConfiguration(clientID: "sluice-consume"))
        do throws(SluiceError) {
            try await consumeShared(consumer, format: format, stop: stop)
            await consumer.close()
        } catch {
            await consumer.close()
            throw error
        }
    }

    /// Polls until a stop condition. Printing: a poll's records are accepted once written, the acknowledgements
    /// riding on the next poll (or the close). With --exec: one record per poll, its outcome sent with the next.
    private func consumeShared(_ consumer: ShareConsumer, format: MessageFormat, stop: StopSignal)
        async throws(SluiceError)
    {
        let clock = ContinuousClock()
        var lastMessage = clock.now
        var done = 0
        while !stop.isSet {
            var wait: Int32 = 500
            if let timeoutMs {
                let left = timeoutMs - Int((clock.now - lastMessage) / .milliseconds(1))
                if left <= 0 { return }
                wait = Int32(min(Int(wait), left))
            }
            // Never more than is still to be done: what a worker holds, others cannot have.
            let room = maxMessages.map { $0 - done } ?? Int.max
            let limit = exec == nil ? Int32(min(500, room)) : 1
            let records = try await consumer.poll(maxWaitMs: wait, maxRecords: limit)
            reportRefusals(await consumer.takeAcknowledgementErrors())
            if records.isEmpty { continue }
            lastMessage = clock.now
            if exec != nil {
                for record in records {
                    let status = run(
                        ConsumedRecord(topic: record.topic, partition: record.partition, record: record.record),
                        extra: ["SLUICE_DELIVERY_COUNT": String(record.deliveryCount)])
                    if status == 0 {
                        await consumer.acknowledge(record, .accept)
                    } else {
                        let delay = backoff(deliveryCount: record.deliveryCount)
                        Output.error(
                            "sluice consume: \(record.topic)[\(record.partition)]@\(record.offset) delivery "
                                + "\(record.deliveryCount): command exited with status \(status); released, "
                                + "redelivered in \(delay) ms")
                        await consumer.acknowledge(record, .release(delayMs: delay))
                    }
                    // Sent now, before the next command starts: a worker killed later redoes only its own record.
                    reportRefusals(try await consumer.commit())
                    done += 1
                }
            } else {
                var out: [UInt8] = []
                for record in records {
                    format.write(
                        ConsumedRecord(topic: record.topic, partition: record.partition, record: record.record),
                        to: &out)
                }
                do throws(RawOutput.Failure) {
                    try RawOutput.write(out)
                } catch {
                    // Not printed: give them back for another member.
                    for record in records { await consumer.acknowledge(record, .release()) }
                    switch error {
                    case .closed: return
                    case .failed(let reason): throw SluiceError(.unknown, "cannot write to standard output: \(reason)")
                    }
                }
                for record in records { await consumer.acknowledge(record, .accept) }
                done += records.count
            }
            if let maxMessages, done >= maxMessages { return }
        }
    }

    /// `--backoff-ms` doubled for each delivery after the first, at most `--max-backoff-ms`.
    func backoff(deliveryCount: Int16) -> Int32 {
        var delay = Int64(backoffMs)
        for _ in 1..<max(Int(deliveryCount), 1) {
            delay *= 2
            if delay >= Int64(maxBackoffMs) { break }
        }
        return Int32(min(delay, Int64(maxBackoffMs)))
    }

    private func reportRefusals(_ refused: [TopicPartition: SluiceError]) {
        for (partition, error) in refused.sorted(by: { $0.key < $1.key }) {
            Output.error(
                "sluice consume: acknowledgement of \(partition.topic)[\(partition.partition)] refused: \(error)")
        }
    }
}
