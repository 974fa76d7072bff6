import ArgumentParser

struct Topics: AsyncParsableCommand {
    func run() async throws {}
}
