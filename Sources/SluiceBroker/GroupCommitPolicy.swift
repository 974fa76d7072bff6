/// When a topic's writer commits what is pending: at once, or after a short wait for more requests to join.
///
/// The writer commits whatever is pending as soon as it is free; requests arriving during a commit form the next
/// one. With many producers each waiting for its acknowledgement, the writer finishing a commit may find only the
/// few requests that beat the others to it, and an fsync each for them. So, after a commit of several small requests
/// that took a while (an fsync), a smaller batch waits until as many requests are pending as the last commit had, or
/// until a fraction of the last commit's duration has passed, whichever comes first. It never waits when the last
/// commit had one request (a lone producer would only lose time), nor when it held many records (batched producers
/// fill their own batches), nor twice for the same batch. Decisions only: the caller arms the timer.
struct GroupCommitPolicy<C: Clock> where C.Duration == Duration {
    /// A commit this fast is not worth waiting for: the wait would cost about what it saves.
    var minCommitDuration: Duration = .microseconds(200)
    /// The longest wait, whatever the last commit took.
    var maxWait: Duration = .milliseconds(2)
    /// A commit of more records than this is a batched producer's and is not waited for.
    var maxRecords = 256
    /// The share of the last commit's duration a batch may wait.
    var waitShare = 0.5

    /// Requests, records and duration of the last commit.
    private(set) var lastRequests = 0
    private(set) var lastRecords = 0
    private(set) var lastDuration: Duration = .zero

    enum Decision: Equatable {
        case commitNow
        /// Wait until `deadline`, or until `pending` requests are pending.
        case wait(until: C.Instant, pending: Int)
    }

    /// Notes a commit of `requests` requests holding `records` records that took `duration`.
    mutating func committed(requests: Int, records: Int, duration: Duration) {
        lastRequests = requests
        lastRecords = records
        lastDuration = duration
    }

    /// What to do with `pending` requests (at least one) at `now`; `alreadyWaited` is true when this batch has
    /// waited once.
    func decide(pending: Int, alreadyWaited: Bool, now: C.Instant) -> Decision {
        guard !alreadyWaited, lastRequests >= 2, pending < lastRequests, lastRecords <= maxRecords,
              lastDuration >= minCommitDuration
        else { return .commitNow }
        let wait = min(lastDuration * waitShare, maxWait)
        return .wait(until: now.advanced(by: wait), pending: lastRequests)
    }
}
