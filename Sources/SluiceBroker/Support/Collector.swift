import Synchronization

/// Gathers `count` results filled in any order from any thread, then calls `completion` once with all of them.
final class Collector<Element: Sendable>: Sendable {
    private let state: Mutex<(results: [Element?], remaining: Int)>
    private let completion: @Sendable ([Element]) -> Void

    init(count: Int, completion: @escaping @Sendable ([Element]) -> Void) {
        state = Mutex((Array(repeating: nil, count: count), count))
        self.completion = completion
    }

    func set(_ index: Int, _ element: Element) {
        let done: [Element]? = state.withLock { state in
            state.results[index] = element
            state.remaining -= 1
            return state.remaining == 0 ? state.results.map { $0! } : nil
        }
        if let done { completion(done) }
    }
}
