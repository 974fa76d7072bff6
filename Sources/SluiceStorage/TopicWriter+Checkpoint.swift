import CSQLite
import SluiceCore

/// Checkpoints: copying the WAL's pages into the database file so that the WAL can start again from its beginning.
///
/// SQLite's own automatic checkpoint runs inside the commit that takes the WAL past a thousand pages, on the
/// writer's thread: that commit (and every produce waiting behind it) waits while a few megabytes are copied and
/// the database file is synced, which was most of the produce path's p99. So the writer does not checkpoint on its
/// own below `inlineCheckpointFrames`: it counts the WAL's pages after each commit (SQLite's WAL hook), and once
/// there are `backgroundCheckpointFrames` `BackgroundCheckpoint` runs `checkpointInBackground(path:)`, on a
/// connection and thread of its own. That copies what was committed when it began while the writer goes on
/// appending; then the writer copies the few pages committed meanwhile (`checkpointResidue()`), and its next
/// transaction starts the WAL again from the beginning. Should the WAL still reach `inlineCheckpointFrames` (nobody runs the background checkpoints, as in the
/// storage bench, or they fall behind), the writer checkpoints after its commit as SQLite would, so the WAL stays
/// bounded either way.
extension TopicWriter {
    /// WAL length, in pages, from which the broker checkpoints in the background.
    package static let backgroundCheckpointFrames = 500
    /// WAL length, in pages, at which the writer checkpoints after its own commit.
    package static let inlineCheckpointFrames = 1000

    /// Pages in the WAL after the last commit, counted from where the WAL last started again.
    package var walFrames: Int { Int(walHook.frames) }

    /// Replaces SQLite's automatic checkpoint: the hook keeps the page count that `walFrames` reports, and
    /// checkpoints (as SQLite's own hook does, right after the commit) only at `inlineCheckpointFrames`. It applies
    /// to every transaction of the writer: appends, retention and compaction.
    func installWALHook() {
        sqlite3_wal_hook(
            connection.handle,
            { context, db, name, frames in
                guard let context else { return SQLITE_OK }
                Unmanaged<WALHook>.fromOpaque(context).takeUnretainedValue().frames = frames
                if frames >= Int32(TopicWriter.inlineCheckpointFrames) {
                    // A failure is left to the next attempt: the commit stands either way.
                    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
                }
                return SQLITE_OK
            }, Unmanaged.passUnretained(walHook).toOpaque())
    }

    /// After a background checkpoint, on the writer: copies the pages committed while it ran (a PASSIVE checkpoint
    /// of this connection), so that the next transaction can start the WAL again. A failure is left to the next
    /// attempt: nothing is lost.
    package func checkpointResidue() {
        _ = try? connection.scalarInt("PRAGMA wal_checkpoint(PASSIVE)")
    }

    /// Copies into the database at `path` what its WAL holds, on a connection of its own, without taking the write
    /// lock: the topic's writer goes on committing meanwhile. Returns whether every page in the WAL when it began was
    /// copied (not when readers of older snapshots held some back).
    @discardableResult
    package static func checkpointInBackground(path: String) throws(SluiceError) -> Bool {
        do {
            let connection = try Connection(path: path, flags: [.readWrite])
            // One row: busy (1 when readers or a writer prevented completion), WAL frames, frames checkpointed.
            return try connection.scalarInt("PRAGMA wal_checkpoint(PASSIVE)") == 0
        } catch {
            throw error.sluiceError
        }
    }
}

/// The WAL hook's page count, written by SQLite's callback on the writer's thread during a commit.
final class WALHook {
    var frames: Int32 = 0
}
