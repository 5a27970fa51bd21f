/// A light English stemmer for search terms: it folds the word forms a tool search meets most
/// (plurals, `-ing`, `-ed`, `-er`, a final `-e`) onto one stem, so "parsers", "parser", "parsing",
/// "parsed" and "parse" all become `pars`, and "libraries" becomes `library`.
///
/// It is deliberately lighter than Porter's: it never strips more than one suffix after the plural,
/// leaves words of four letters or fewer alone (except plurals), keeps at least four letters of stem
/// for `-er`/`-ing`/`-ed`, and touches only lowercase ASCII words (anything else is returned as is).
/// The same function runs on documents and queries, so a stem only has to be consistent, not a word.
enum LightStemmer {
    /// The stem of `word` (lowercase ASCII bytes), written back into `word`.
    static func stem(_ word: inout [UInt8]) {
        guard word.count > 3, word.allSatisfy({ $0 >= 97 && $0 <= 122 }) else { return }
        stripPlural(&word)
        if word.count > 6, ends(word, "ing") {
            word.removeLast(3)
            undouble(&word)
        } else if word.count > 5, ends(word, "er") {
            word.removeLast(2)
            undouble(&word)
        } else if word.count > 5, ends(word, "ed"), !ends(word, "eed") {
            word.removeLast(2)
            undouble(&word)
        } else if word.count > 4, ends(word, "e"), !ends(word, "ee") {
            word.removeLast()
        }
    }

    /// `-ies` → `-y`, `-sses` → `-ss`, `-es` after x/ch/sh → drop `es`, else a final `s` that is
    /// not `ss`, `us` or `is` → drop it (Harman's S-stemmer, extended for `-ches`/`-xes`).
    private static func stripPlural(_ word: inout [UInt8]) {
        if word.count > 4, ends(word, "ies"), !ends(word, "eies"), !ends(word, "aies") {
            word.removeLast(3)
            word.append(121)  // y
        } else if ends(word, "sses") || ends(word, "xes") || ends(word, "ches")
            || ends(word, "shes")
        {
            word.removeLast(2)
        } else if ends(word, "s"), !ends(word, "ss"), !ends(word, "us"), !ends(word, "is") {
            word.removeLast()
        }
    }

    /// `runn` → `run`: a doubled final consonant left by a stripped suffix becomes single (not `ll`,
    /// `ss`, `zz`, which English keeps: "install", "pass").
    private static func undouble(_ word: inout [UInt8]) {
        guard word.count >= 4 else { return }
        let last = word[word.count - 1]
        guard last == word[word.count - 2], !isVowel(last), last != 108, last != 115, last != 122 else { return }
        word.removeLast()
    }

    private static func isVowel(_ byte: UInt8) -> Bool {
        byte == 97 || byte == 101 || byte == 105 || byte == 111 || byte == 117
    }

    private static func ends(_ word: [UInt8], _ suffix: StaticString) -> Bool {
        let count = suffix.utf8CodeUnitCount
        guard word.count >= count else { return false }
        let start = suffix.utf8Start
        let base = word.count - count
        for index in 0..<count where word[base + index] != start[index] { return false }
        return true
    }
}
