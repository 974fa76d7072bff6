import ArgumentParser

struct Produce: AsyncParsableCommand {
    func run() async throws {}
}
