import ArgumentParser

struct Consume: AsyncParsableCommand {
    func run() async throws {}
}
