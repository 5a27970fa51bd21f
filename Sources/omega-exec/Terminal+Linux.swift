#if os(Linux)
import Glibc

/// The terminal calls the interactive commands need (`isatty`, echo off for hidden input), in one place.
enum Terminal {
    /// Whether prompts are possible: stdin and stderr are terminals.
    static var isInteractive: Bool { isatty(0) == 1 && isatty(2) == 1 }

    /// Whether stderr is a terminal (progress with carriage returns).
    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    /// Writes `text` to stderr.
    static func write(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Reads one line from stdin; with `hidden`, echo is off while it is typed.
    static func readLine(prompt: String, hidden: Bool) -> String? {
        write(prompt)
        var saved = termios()
        let canHide = hidden && tcgetattr(0, &saved) == 0
        if canHide {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            quiet.c_lflag |= tcflag_t(ECHONL)
            _ = tcsetattr(0, TCSAFLUSH, &quiet)
        }
        defer { if canHide { _ = tcsetattr(0, TCSAFLUSH, &saved) } }
        return Swift.readLine(strippingNewline: true)
    }

    /// Asks a yes/no question (default no).
    static func confirm(_ question: String) -> Bool {
        guard let answer = readLine(prompt: question + " [y/N] ", hidden: false) else { return false }
        return ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased())
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}

extension Set where Element == Character {
    fileprivate static var whitespaces: Set<Character> { [" ", "\t"] }
}
#endif
