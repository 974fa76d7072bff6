/// The records in flight of one share partition, by offset: consecutive slots from the lowest offset held, so that
/// a lookup is an index, iteration is in offset order (no sorting), and the counts by state need no scan.
///
/// The slots span the lowest to the highest offset held (`SharePartition` keeps that within its lock budget); the
/// slots freed at the front are dropped in bulk, so acknowledging from the front costs no move per record.
struct ShareEntries: Sendable, Sequence {
    typealias Entry = SharePartition.Entry

    /// The offset of `slots[0]`.
    private var base: Int64 = 0
    private var slots: [Entry?] = []
    /// The index of the lowest offset held (`slots[low]` is held unless there are none).
    private var low = 0
    private(set) var count = 0
    private var available = 0
    private var acquired = 0
    private var archiving = 0

    init() {}

    var isEmpty: Bool { count == 0 }

    /// The lowest offset held.
    var firstOffset: Int64? { count == 0 ? nil : base + Int64(low) }

    /// Entries in `state`, counted as they change.
    func count(_ state: SharePartition.State) -> Int {
        switch state {
        case .available: available
        case .acquired: acquired
        case .archiving: archiving
        }
    }

    subscript(offset: Int64) -> Entry? {
        get {
            let index = offset - base
            guard index >= Int64(low), index < Int64(slots.count) else { return nil }
            return slots[Int(index)]
        }
        set {
            if let newValue {
                let index = makeSlot(offset)
                if let old = slots[index] { note(old, -1) } else { count += 1 }
                note(newValue, 1)
                slots[index] = newValue
            } else {
                let index = offset - base
                guard index >= Int64(low), index < Int64(slots.count), let old = slots[Int(index)] else { return }
                note(old, -1)
                count -= 1
                slots[Int(index)] = nil
                trim()
            }
        }
    }

    /// Forgets every entry below `offset`.
    mutating func removeAll(below offset: Int64) {
        guard let first = firstOffset, first < offset else { return }
        let end = Swift.min(offset - base, Int64(slots.count))
        for index in low..<Int(end) {
            guard let old = slots[index] else { continue }
            note(old, -1)
            count -= 1
            slots[index] = nil
        }
        trim()
    }

    var values: [Entry] { compactMap { $0.value } }

    func makeIterator() -> Iterator { Iterator(slots: slots, base: base, index: low) }

    /// The entries held, in offset order.
    struct Iterator: IteratorProtocol {
        fileprivate let slots: [Entry?]
        fileprivate let base: Int64
        fileprivate var index: Int

        mutating func next() -> (key: Int64, value: Entry)? {
            while index < slots.count {
                defer { index += 1 }
                if let entry = slots[index] { return (base + Int64(index), entry) }
            }
            return nil
        }
    }

    // MARK: - Slots

    private mutating func note(_ entry: Entry, _ delta: Int) {
        switch entry.state {
        case .available: available += delta
        case .acquired: acquired += delta
        case .archiving: archiving += delta
        }
    }

    /// The index of `offset`'s slot, made if it is outside the slots.
    private mutating func makeSlot(_ offset: Int64) -> Int {
        if count == 0 {
            slots.removeAll(keepingCapacity: true)
            base = offset
            low = 0
            slots.append(nil)
            return 0
        }
        var index = offset - base
        if index < 0 {
            slots.insert(contentsOf: repeatElement(nil, count: Int(-index)), at: 0)
            low += Int(-index)
            base = offset
            index = 0
        }
        if index >= Int64(slots.count) {
            slots.append(contentsOf: repeatElement(nil, count: Int(index) - slots.count + 1))
        }
        if Int(index) < low { low = Int(index) }
        return Int(index)
    }

    /// Moves `low` to the lowest entry held and drops empty slots at the end; drops the freed front slots once
    /// they are more than half.
    private mutating func trim() {
        if count == 0 {
            slots.removeAll(keepingCapacity: true)
            low = 0
            return
        }
        while slots[low] == nil { low += 1 }
        while slots[slots.count - 1] == nil { slots.removeLast() }
        if low >= 64, low * 2 >= slots.count {
            slots.removeFirst(low)
            base += Int64(low)
            low = 0
        }
    }
}
