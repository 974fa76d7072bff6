import Dispatch
import Logging
import SluiceCore
import SluiceStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a backup holds, as the broker reports it (the full record is the backup's `manifest.json`).
package struct BackupReport: Sendable, Equatable {
    package struct Topic: Sendable, Equatable {
        package var name: String
        package var partitions: Int32
        package var records: Int64
        /// Bytes of the topic's file in the backup.
        package var bytes: Int64
    }

    /// When the snapshots were taken, in milliseconds since the Unix epoch.
    package var createdMs: Int64
    package var catalogBytes: Int64
    package var topics: [Topic]
}

extension Broker {
    /// Writes a consistent backup of every live topic and the catalog into `directory` (an absolute path; created,
    /// or an empty folder) while the broker goes on serving; see `SluiceStorage.Backup`.
    ///
    /// The snapshots are pinned on the admin queue, where topics are created, altered and deleted, so none of that
    /// happens between the catalog's snapshot and the topics'; the copy then runs on the backup queue, paced as
    /// `Backup.Pacing` says, one backup at a time. Throws `.invalidArgument` for a relative path or a folder that is not
    /// empty, `.shuttingDown` when the broker stops meanwhile (what was written is removed), and storage errors.
    package func backup(to directory: String) async throws(SluiceError) -> BackupReport {
        try checkRunning()
        guard directory.hasPrefix("/") else {
            throw SluiceError(.invalidArgument, "the backup folder must be an absolute path, not '\(directory)'")
        }
        let pacing = backupPacing
        let adminQueue = self.adminQueue
        let store = self.store
        let started = ContinuousClock.now
        let manifest = try await backups.run { isCancelled throws(SluiceError) in
            let pinned: Result<Backup, SluiceError> = adminQueue.sync {
                Result { () throws(SluiceError) in try store.value.pinBackup(now: self.clocks.wall()) }
            }
            return try pinned.get().write(
                to: directory, pacing: pacing,
                software: "sluice \(SluiceVersion.current)", isCancelled: isCancelled)
        }
        let report = BackupReport(
            createdMs: manifest.createdMs, catalogBytes: manifest.catalog.bytes,
            topics: manifest.topics.map {
                BackupReport.Topic(
                    name: $0.name, partitions: Int32($0.partitions.count),
                    records: $0.partitions.reduce(0) { $0 + $1.records }, bytes: $0.file.bytes)
            })
        logger.info(
            "backup written",
            metadata: [
                "directory": "\(directory)", "topics": "\(report.topics.count)", "bytes": "\(manifest.totalBytes)",
                "seconds": "\(started.duration(to: .now))",
            ])
        return report
    }

    /// The default pacing, or the one `SLUICE_BACKUP_PACING` gives ("PAGES,REST_PER_WORK,STEPS_PER_SYNC"), a knob
    /// for measuring (`Scripts/bench-backup`); one that does not parse is logged and ignored.
    static func backupPacing(logger: Logger) -> Backup.Pacing {
        let text = getenv("SLUICE_BACKUP_PACING").map { String(cString: $0) }
        guard let pacing = Backup.Pacing.parse(text) else {
            logger.warning(
                "SLUICE_BACKUP_PACING is not PAGES,REST_PER_WORK,STEPS_PER_SYNC: ignored",
                metadata: ["value": "\(text ?? "")"])
            return Backup.Pacing()
        }
        return pacing
    }
}
