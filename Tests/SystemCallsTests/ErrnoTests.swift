import Glibc
import Testing

@testable import SystemCalls

@Suite struct ErrnoTests {
    @Test func anErrnoIsNamedSymbolically() {
        #expect(Errno.noEntry.name == "ENOENT")
        #expect(Errno(rawValue: EPERM).name == "EPERM")
        #expect(Errno.tooManyLinks.description == "ELOOP")
        #expect(Errno.name(EACCES) == "EACCES")
    }

    @Test func anErrnoGlibcDoesNotKnowIsNamedByItsNumber() {
        #expect(Errno(rawValue: 9999).name == "errno 9999")
    }

    @Test func anErrnoKeepsTheCLibrarysWordsApartFromItsName() {
        #expect(Errno.noEntry.message == "No such file or directory")
    }

    @Test func aSystemCallErrorReadsAsStepThenErrnoName() {
        let error = SystemCallError("mount /proc", errno: .notPermitted)
        #expect(error.description == "mount /proc: EPERM")
    }
}
