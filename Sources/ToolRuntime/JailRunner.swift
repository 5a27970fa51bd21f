import Foundation
import Jail
import ToolPackage

/// Runs the synchronous ``Jail/run(_:output:cancellation:)`` on a dedicated thread, so a run that
/// lasts minutes never holds one of Swift concurrency's few cooperative threads.
enum JailRunner {
    /// Runs `spec` in `jail`; `cancellation` kills the whole tree when triggered.
    static func run(_ jail: Jail, _ spec: JailSpec, cancellation: JailCancellation) async throws(JailError)
        -> JailResult
    {
        let result: Result<JailResult, JailError> = await withCheckedContinuation { continuation in
            let thread = Thread {
                do throws(JailError) {
                    continuation.resume(
                        returning: .success(try jail.run(spec, output: .capture, cancellation: cancellation)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            thread.name = "omega-jail-run"
            thread.stackSize = 1 << 20
            thread.start()
        }
        return try result.get()
    }
}
