/// The order in which one Kafka connection's requests run and are answered.
///
/// Kafka clients expect a connection's responses in the order of its requests, and a broker that handles a
/// connection's requests one at a time. Sluice keeps that rule with one exception that clients cannot observe:
/// consecutive produce requests run together, because the topic's writer queue keeps their order and group commit
/// can then put them in one transaction. Everything else starts only once every earlier request has finished, so a
/// commit is stored before the fetch of committed offsets that follows it, and a join held for a rebalance holds the
/// requests behind it, as a Kafka broker would.
///
/// A value type that decides; `KafkaConnectionHandler` acts on what it returns.
struct KafkaRequestQueue<Answer> {
    struct Entry {
        var id: Int
        var overlaps: Bool
        var started = false
        var answer: Answer?
        var done = false
    }

    private(set) var entries: [Entry] = []
    private var nextID = 0

    var count: Int { entries.count }

    /// Adds a request; `overlaps` says it may run beside earlier requests of the same kind that are still running.
    mutating func enqueue(overlaps: Bool) -> Int {
        defer { nextID += 1 }
        entries.append(Entry(id: nextID, overlaps: overlaps))
        return nextID
    }

    /// Marks as started, and returns, the requests that may start now.
    mutating func startable() -> [Int] {
        var started: [Int] = []
        var allEarlierDone = true
        var allEarlierOverlap = true
        for index in entries.indices {
            let entry = entries[index]
            if !entry.started && (allEarlierDone || (entry.overlaps && allEarlierOverlap)) {
                entries[index].started = true
                started.append(entry.id)
            }
            if !entry.done {
                allEarlierDone = false
                if !entry.overlaps { allEarlierOverlap = false }
            }
            if !entries[index].started { break }
        }
        return started
    }

    /// Records a finished request and returns the answers now due, in request order (an answer of `nil`, such as a
    /// produce with acks=0, takes its turn but sends nothing).
    mutating func complete(_ id: Int, answer: Answer?) -> [Answer] {
        guard let index = entries.firstIndex(where: { $0.id == id }) else { return [] }
        entries[index].done = true
        entries[index].answer = answer
        var due: [Answer] = []
        while let first = entries.first, first.done {
            if let answer = first.answer { due.append(answer) }
            entries.removeFirst()
        }
        return due
    }
}
