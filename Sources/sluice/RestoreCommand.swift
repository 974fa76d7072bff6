import ArgumentParser
import SluiceCommandLine
import SluiceCore
import SluiceStorage

/// `sluice restore DIR --data-dir NEW`: a new data directory from a backup, offline.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Build a new data directory from a backup (no server needed).",
        discussion: """
            Checks the backup first: manifest.json must be there and parse, and every file it lists must be there \
            with its size and SHA-256; a backup that is incomplete or damaged is refused, saying which file, and \
            nothing is written. NEW must not exist (its parent must) or be empty. Then serve it: `sluice serve \
            --data-dir NEW`.
            """
    )

    @Argument(help: ArgumentHelp("Folder holding the backup.", valueName: "dir"))
    var backup: String

    @Option(name: .long, help: ArgumentHelp("The data directory to create.", valueName: "dir"))
    var dataDir: String

    @Flag(name: .long, help: "Print what was restored as one JSON object.")
    var json = false

    func run() throws {
        let manifest: BackupManifest
        do throws(SluiceError) {
            manifest = try Backup.restore(from: backup, into: dataDir)
        } catch {
            Output.error("sluice restore: \(error.message)")
            throw ExitCode(1)
        }
        if json {
            Output.line(
                JSON.object([
                    ("data_dir", .string(dataDir)), ("created_ms", .int(manifest.createdMs)),
                    ("topics", .int(Int64(manifest.topics.count))), ("records", .int(manifest.totalRecords)),
                    ("bytes", .int(manifest.totalBytes)),
                ]).text)
            return
        }
        Output.line(
            "restored \(manifest.topics.count) topic\(manifest.topics.count == 1 ? "" : "s"), "
                + "\(manifest.totalRecords) records, \(manifest.totalBytes) bytes into \(dataDir); serve it with "
                + "`sluice serve --data-dir \(dataDir)`")
    }
}
