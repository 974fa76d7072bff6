import ArgumentParser
import SluiceBench

/// `sluice-bench` (run as `sluice bench`): the bench, in an executable of its own so that `sluice` does not link
/// what only the bench needs (the HDR histogram).
@main
enum BenchMain {
    static func main() async {
        await Bench.main()
    }
}
