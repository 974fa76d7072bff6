/// Counts the producer's unacknowledged records, so that a flush can wait for exactly the records enqueued before it
/// and a sender can wait for room in the buffer.
///
/// Each record is tagged with the current epoch; a flush closes the epoch and waits until no record of it or of an
/// earlier epoch is outstanding. Records complete out of order across partitions, hence counts per epoch rather
/// than a single watermark. `Waiter` is whatever resumes a waiting caller (a continuation in `Producer`).
struct FlushTracker<Waiter> {
    private var epoch = 0
    /// Unacknowledged records per epoch; epochs with none are removed.
    private var counts: [Int: Int] = [:]
    private(set) var outstanding = 0
    /// Flushes waiting, each for every epoch up to and including its own.
    private var flushWaiters: [(epoch: Int, waiter: Waiter)] = []
    private var capacityWaiters: [Waiter] = []

    /// Whether a flush is waiting: records should then be sent without lingering.
    var isFlushing: Bool { !flushWaiters.isEmpty }

    /// Counts a new record and returns its epoch.
    mutating func add() -> Int {
        counts[epoch, default: 0] += 1
        outstanding += 1
        return epoch
    }

    /// Registers a flush; returns the waiter if there is nothing to wait for.
    mutating func addFlushWaiter(_ waiter: Waiter) -> Waiter? {
        let closing = epoch
        epoch += 1
        if counts.keys.allSatisfy({ $0 > closing }) { return waiter }
        flushWaiters.append((closing, waiter))
        return nil
    }

    /// Registers a wait for room; returns the waiter if there is room already.
    mutating func addCapacityWaiter(_ waiter: Waiter, limit: Int)
        -> Waiter?
    {
        if outstanding < limit { return waiter }
        capacityWaiters.append(waiter)
        return nil
    }

    /// Uncounts acknowledged or failed records (by their epochs) and returns the waiters that may resume.
    mutating func remove(_ epochs: [Int], capacityLimit: Int) -> [Waiter] {
        guard !epochs.isEmpty else { return [] }
        var emptied = false
        var index = 0
        while index < epochs.count {
            // Epochs come in runs: a batch rarely spans a flush.
            let value = epochs[index]
            var run = 1
            while index + run < epochs.count, epochs[index + run] == value { run += 1 }
            let left = counts[value, default: run] - run
            if left <= 0 {
                counts.removeValue(forKey: value)
                emptied = true
            } else {
                counts[value] = left
            }
            outstanding -= run
            index += run
        }
        var resumed: [Waiter] = []
        if emptied, !flushWaiters.isEmpty {
            let oldest = counts.keys.min() ?? Int.max
            flushWaiters.removeAll { entry in
                guard entry.epoch < oldest else { return false }
                resumed.append(entry.waiter)
                return true
            }
        }
        if outstanding < capacityLimit, !capacityWaiters.isEmpty {
            resumed.append(contentsOf: capacityWaiters)
            capacityWaiters.removeAll()
        }
        return resumed
    }
}
