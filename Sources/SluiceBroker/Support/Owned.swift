/// A box that moves a non-`Sendable` object (a SQLite connection owner) between threads.
///
/// The contract, which the compiler cannot check: at any moment exactly one thread or serial queue uses `value`.
/// Sluice keeps a writer on its topic's serial queue and a reader checked out of its pool by one read at a time.
final class Owned<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
