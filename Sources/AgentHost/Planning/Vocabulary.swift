/// The offline planner's small word rules: which words say nothing about a task, how words are
/// compared, how a property name splits into words, and how a search query is built.
enum Vocabulary {
    /// Most words a query built here holds (the search keeps 32 distinct terms, and a compound word
    /// can yield several).
    static let maximumQueryWords = 24
    /// Longest query built here, in UTF-8 bytes (the search's limit).
    static let maximumQueryBytes = 1024
    /// Longest word a query built here keeps, in UTF-8 bytes (the search's longest term).
    static let maximumWordBytes = 48

    /// English function words and politeness that carry no task: left out of searches and matching.
    static let stopWords: Set<String> = [
        "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be",
        "been", "being", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "done", "each", "for",
        "from", "further", "get", "give", "had", "has", "have", "having", "he", "hello", "her", "here", "hers", "hey",
        "hi", "him", "his", "how", "i", "i'd", "i'm", "if", "in", "into", "is", "it", "it's", "its", "just", "kindly",
        "let", "let's", "lets", "like", "may", "me", "might", "mine", "more", "most", "must", "my", "need", "no",
        "nor", "not", "now", "of", "off", "on", "once", "only", "onto", "or", "other", "our", "ours", "out", "over",
        "own", "please", "same", "shall", "she", "should", "so", "some", "such", "than", "thank", "thanks", "that",
        "the", "their", "theirs", "them", "then", "there", "these", "they", "this", "those", "through", "to", "too",
        "under", "until", "up", "us", "use", "using", "very", "want", "was", "we", "were", "what", "when", "where",
        "which", "while", "who", "whom", "whose", "why", "will", "with", "within", "without", "would", "you",
        "you'd", "your", "yours",
    ]

    /// Whether `lowered` (a lowercased word) is a stop word.
    static func isStopWord(_ lowered: String) -> Bool { stopWords.contains(lowered) }

    /// The form words are compared in: lowercased, with one plural or verb ending removed when at least
    /// three letters remain, then a final `e` (`words` → `word`, `matches` → `match`, `counting` →
    /// `count`, `created` and `create` → `creat`). Crude on purpose: it only decides which request
    /// words a tool's text or a property name shares.
    static func normalized(_ word: some StringProtocol) -> String {
        var word = word.lowercased()
        let count = word.count
        if word.hasSuffix("ies"), count > 4 {
            word.removeLast(3)
            word += "y"
        } else if word.hasSuffix("sses") {
            word.removeLast(2)
        } else if word.hasSuffix("es"), count - 2 >= 3,
            ["s", "x", "z", "ch", "sh"].contains(where: { word.dropLast(2).hasSuffix($0) })
        {
            word.removeLast(2)
        } else if word.hasSuffix("s"), !word.hasSuffix("ss"), count - 1 >= 3 {
            word.removeLast()
        } else if word.hasSuffix("ing"), count - 3 >= 3 {
            word.removeLast(3)
        } else if word.hasSuffix("ed"), count - 2 >= 3 {
            word.removeLast(2)
        }
        if word.hasSuffix("e"), word.count >= 4 { word.removeLast() }
        return word
    }

    /// The normalized words of `text`: runs of letters and digits, camelCase split (`topWords` → top,
    /// word), without stop words.
    static func words(_ text: some StringProtocol) -> [String] {
        var result: [String] = []
        var current = ""
        var previousWasLower = false
        func finish() {
            if !current.isEmpty, !isStopWord(current.lowercased()) { result.append(normalized(current)) }
            current = ""
        }
        for character in text {
            if character.isLetter || character.isNumber {
                if character.isUppercase, previousWasLower { finish() }
                current.append(character)
                previousWasLower = character.isLowercase || character.isNumber
            } else {
                finish()
                previousWasLower = false
            }
        }
        finish()
        return result
    }

    /// `words` (lowercased already) joined by spaces: at most ``maximumQueryWords`` distinct words and
    /// ``maximumQueryBytes`` bytes, cut at a word; words over ``maximumWordBytes`` (hashes, noise: the
    /// search drops such terms too) left out.
    static func query(_ words: [String]) -> String {
        var seen = Set<String>()
        var query = ""
        for word in words where word.utf8.count <= maximumWordBytes && seen.count < maximumQueryWords {
            guard seen.insert(word).inserted else { continue }
            let next = query.isEmpty ? word : query + " " + word
            guard next.utf8.count <= maximumQueryBytes else { break }
            query = next
        }
        return query
    }
}
