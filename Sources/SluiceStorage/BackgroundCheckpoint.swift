import Dispatch
import SluiceCore
import Synchronization

/// The background-checkpoint protocol of one topic database (see `TopicWriter+Checkpoint.swift`).
///
/// Call `afterCommit(_:)` on the writer's thread after each commit. Once the WAL holds
/// `TopicWriter.backgroundCheckpointFrames` pages, a checkpoint on `queue` (another thread, a connection of its own)
/// copies them into the database while the writer goes on; after it, the writer copies the few pages committed
/// meanwhile itself (`checkpointResidue`), so that its next transaction starts the WAL again from the beginning. The
/// writer's pause is that short copy instead of the whole checkpoint. Nothing runs unless the writer commits.
package final class BackgroundCheckpoint: Sendable {
    private let path: String
    /// Where the checkpoints run. The owner waits on it (an empty work item) before closing or deleting the files.
    package let queue: DispatchQueue
    private let state = Mutex(State())
    private let onFailure: @Sendable (SluiceError) -> Void

    private struct State {
        /// A background checkpoint is copying the WAL.
        var running = false
        /// One has finished since the WAL last started again: the writer copies what was committed meanwhile.
        var copied = false
        /// No checkpoint starts any more.
        var closed = false
    }

    /// Checkpoints the database at `path` on `queue`; a failed checkpoint is reported to `onFailure` and left to
    /// the next one (nothing is lost).
    package init(path: String, queue: DispatchQueue, onFailure: @escaping @Sendable (SluiceError) -> Void) {
        self.path = path
        self.queue = queue
        self.onFailure = onFailure
    }

    /// On the writer's thread, right after a commit: starts a background checkpoint, or copies the residue of one
    /// that finished, when the WAL is long enough.
    package func afterCommit(_ writer: TopicWriter) {
        let frames = writer.walFrames
        enum Step { case none, background, residue }
        let step = state.withLock { state -> Step in
            if frames < TopicWriter.backgroundCheckpointFrames {
                state.copied = false  // The WAL started again from its beginning.
                return .none
            }
            if state.running || state.closed { return .none }
            if state.copied {
                state.copied = false
                return .residue
            }
            state.running = true
            return .background
        }
        switch step {
        case .none:
            return
        case .residue:
            writer.checkpointResidue()
        case .background:
            queue.async { [self] in
                defer {
                    state.withLock {
                        $0.running = false
                        $0.copied = true
                    }
                }
                guard !state.withLock({ $0.closed }) else { return }
                do throws(SluiceError) {
                    try TopicWriter.checkpointInBackground(path: path)
                } catch {
                    onFailure(error)
                }
            }
        }
    }

    /// A background checkpoint is copying the WAL now (its database must not be closed meanwhile). Checkpoints
    /// start only from `afterCommit`, so on the writer's thread a false answer stays true until its next commit.
    package var isRunning: Bool { state.withLock { $0.running } }

    /// Starts no further checkpoint; one under way finishes (wait for `queue` to know when).
    package func close() {
        state.withLock { $0.closed = true }
    }
}
