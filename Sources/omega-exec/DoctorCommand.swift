import ArgumentParser
import Jail

/// `omega-exec doctor`: what the jail can and cannot enforce on this machine.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the kernel, user namespaces, cgroups and seccomp, and run one program in the jail."
    )

    @Flag(help: "Print the report as JSON.") var json = false

    func run() throws {
        let report = JailDoctor.examine()
        CLIOutput.out(json ? report.json + "\n" : report.text)
        if !report.healthy { throw ExitCode(1) }
    }
}
