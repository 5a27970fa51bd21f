#!/usr/bin/env python3
"""text.stats: counts, reading time, readability and most frequent words of a text.

Tokenization is Unicode-aware: a word is a run of letters/digits (with inner apostrophes or
hyphens); in scripts written without spaces (Chinese, Japanese, Thai ...) every ideograph/kana counts
as a word. The language is guessed from stopword frequencies among English, German, French, Spanish,
Italian, Portuguese and Dutch; readability uses the Flesch formula adapted to the detected language
(Flesch for English and others, Amstad for German, Kandel-Moles for French, Fernández Huerta for
Spanish) and is reported as null for texts without Latin-script words, where syllable counting does
not apply.
"""

from __future__ import annotations

import json
import math
import re
import sys
import unicodedata
from collections import Counter
from typing import Any, NoReturn

MAX_INPUT_BYTES = 16 * 1024 * 1024
ALLOWED_KEYS = {"text", "topWords", "wordsPerMinute", "minWordLength", "extraStopwords", "language"}

WORD_RE = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
SENTENCE_END_RE = re.compile(r"[.!?…。！？]+[\"'”’)\]]*(?=\s|$)|[。！？]+")
ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st vs etc e.g i.e cf fig no approx dept inc ltd co corp jan feb mar apr jun jul aug "
    "sep sept oct nov dec z.b bzw usw ca nr s.o u.a mme mlle sra sr".split()
)
VOWELS = "aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿœ"

STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        """a about above after again against all am an and any are aren't as at be because been before being
        below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down
        during each few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here
        here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself
        let's me more most mustn't my myself no nor not of off on once only or other ought our ours ourselves
        out over own same shan't she she'd she'll she's should shouldn't so some such than that that's the
        their theirs them themselves then there there's these they they'd they'll they're they've this those
        through to too under until up very was wasn't we we'd we'll we're we've were weren't what what's when
        when's where where's which while who who's whom why why's will with won't would wouldn't you you'd
        you'll you're you've your yours yourself yourselves also just may might must shall one two us""".split()
    ),
    "de": frozenset(
        """aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes auch auf
        aus bei bin bis bist da damit dann das dass dein deine dem den denn der des dich die dies diese diesem
        diesen dieser dieses dir doch dort du durch ein eine einem einen einer eines er es etwas euch euer für
        gegen gewesen hab habe haben hat hatte hier hin hinter ich ihm ihn ihnen ihr ihre im in indem ins ist
        jede jedem jeden jeder jedes jetzt kann kein keine können man manche mein meine mich mir mit muss nach
        nicht nichts noch nun nur ob oder ohne sehr sein seine sich sie sind so solche soll sondern sonst über
        um und uns unser unter viel vom von vor war waren was weil welche wenn wer werde werden wie wieder will
        wir wird wo zu zum zur zwar zwischen""".split()
    ),
    "fr": frozenset(
        """à au aux avec ce ces cette dans de des du elle en et eux il ils je la le les leur lui ma mais me même
        mes moi mon ne nos notre nous on ou où par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un
        une vos votre vous c d j l m n s t y été était être avoir ai as avons avez ont est sont sera fait plus
        comme tout tous très bien aussi""".split()
    ),
    "es": frozenset(
        """a al algo algunos ante antes como con contra cual cuando de del desde donde durante e el ella ellas
        ellos en entre era es esa esas ese eso esos esta estas este esto estos fue fueron ha hay la las le les
        lo los más me mi mis mucho muy nada ni no nos nosotros o os otra otro para pero poco por porque que
        quien se ser si sí sin sobre su sus también tanto te tiene tu tus un una uno unos y ya yo""".split()
    ),
    "it": frozenset(
        """a ad al alla alle allo agli ai anche che chi ci come con da dal dalla dei del della delle dello di
        dove e ed era è gli ha hanno il in io la le lei lo loro lui ma mi mio nei nel nella no noi non o per
        perché più quale quando quella quello questa questo se si sia siamo sono su sua suo tra tu un una uno
        voi""".split()
    ),
    "pt": frozenset(
        """a ao aos as até com como da das de dela dele do dos e ela ele eles em entre era essa esse esta este
        eu foi há isso isto já lhe mais mas me mesmo meu minha muito na nas não nem no nos nós o os ou para
        pela pelo por qual quando que quem se sem ser seu sua são também te tem um uma você""".split()
    ),
    "nl": frozenset(
        """aan al alles als bij dan dat de der deze die dit doch doen door dus een en er ge geen had heb hebben
        heeft het hier hij hoe hun ik in is ja je kan kon maar me meer men met mij mijn na naar niet niets nog
        nu of om omdat ons ook op over reeds te tegen toch toen tot u uit uw van veel voor want waren was wat
        we wel werd wezen wie wij wil worden zal ze zelf zich zij zijn zo zonder zou""".split()
    ),
}
READABILITY_LABELS = (
    (90, "very easy"),
    (80, "easy"),
    (70, "fairly easy"),
    (60, "plain"),
    (50, "fairly difficult"),
    (30, "difficult"),
    (-math.inf, "very difficult"),
)


class ToolError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def fail(error: ToolError) -> NoReturn:
    print(json.dumps({"error": {"code": error.code, "message": error.message}}))
    sys.exit(2)


def is_spaceless_script(char: str) -> bool:
    """Characters of scripts written without spaces between words (CJK, kana, Thai, Lao, Khmer, ...)."""
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF  # hiragana, katakana
        or 0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF  # CJK ideographs
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x2FA1F
        or 0x0E00 <= code <= 0x0EFF  # Thai, Lao
        or 0x1780 <= code <= 0x17FF  # Khmer
        or 0x1000 <= code <= 0x109F  # Myanmar
    )


def is_hiragana(word: str) -> bool:
    """Single hiragana are mostly particles and inflections: not interesting as frequent words."""
    return all(0x3040 <= ord(c) <= 0x309F for c in word)


def tokenize(text: str) -> list[str]:
    words: list[str] = []
    for token in WORD_RE.findall(text):
        if any(is_spaceless_script(c) for c in token):
            run: list[str] = []
            for c in token:
                if is_spaceless_script(c):
                    if run:
                        words.append("".join(run))
                        run = []
                    words.append(c)
                else:
                    run.append(c)
            if run:
                words.append("".join(run))
        else:
            words.append(token)
    return words


def is_latin_word(word: str) -> bool:
    return any("LATIN" in unicodedata.name(c, "") for c in word if c.isalpha())


def syllables(word: str) -> int:
    """Vowel-group heuristic (English-tuned: a silent final 'e' is dropped). At least 1."""
    w = word.lower().replace("’", "'")
    w = "".join(c for c in w if c.isalpha())
    if not w:
        return 0
    groups = re.findall(f"[{VOWELS}]+", w)
    count = len(groups)
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1
    if w.endswith(("ed", "es")) and count > 1 and not w.endswith(("ted", "ded", "ses", "zes", "ches", "shes", "ges", "ces", "xes")):
        count -= 1
    return max(1, count)


def count_sentences(text: str) -> int:
    count = 0
    pending = False  # words seen since the last sentence end
    last = 0
    for match in SENTENCE_END_RE.finditer(text):
        if WORD_RE.search(text, last, match.start()):
            pending = True
        last = match.end()
        if not pending:
            continue
        if match.group() == ".":
            before = text[: match.start()].rsplit(None, 1)
            if before and before[-1].lstrip("([\"'“‘").lower() in ABBREVIATIONS:
                continue  # "Dr." / "e.g.": the sentence goes on
        count += 1
        pending = False
    if pending or WORD_RE.search(text, last):
        count += 1
    return count


def detect_language(words: list[str]) -> tuple[str, float]:
    lowered = [w.lower() for w in words]
    if not lowered:
        return "unknown", 0.0
    spaceless = sum(1 for w in words if len(w) == 1 and is_spaceless_script(w))
    if spaceless / len(words) > 0.5:
        return "unknown", 0.0
    scores = {lang: sum(1 for w in lowered if w in stop) for lang, stop in STOPWORDS.items()}
    best = max(sorted(scores), key=lambda lang: scores[lang])
    share = scores[best] / len(lowered)
    if scores[best] < 2 or share < 0.1:
        return "unknown", round(share, 3)
    return best, round(share, 3)


def readability(language: str, words: int, sentences: int, syllable_count: int) -> dict[str, Any] | None:
    if words == 0 or sentences == 0:
        return None
    asl = words / sentences  # average sentence length
    asw = syllable_count / words  # average syllables per word
    if language == "de":
        score, formula = 180 - asl - 58.5 * asw, "amstad"
    elif language == "fr":
        score, formula = 207 - 1.015 * asl - 73.6 * asw, "kandel-moles"
    elif language == "es":
        score, formula = 206.84 - 0.60 * (asw * 100) - 1.02 * asl, "fernandez-huerta"
    else:
        score, formula = 206.835 - 1.015 * asl - 84.6 * asw, "flesch"
    label = next(name for threshold, name in READABILITY_LABELS if score >= threshold)
    result: dict[str, Any] = {
        "fleschReadingEase": round(score, 1),
        "formula": formula,
        "interpretation": label,
        "averageSentenceLength": round(asl, 2),
        "averageSyllablesPerWord": round(asw, 2),
    }
    if formula == "flesch":
        result["fleschKincaidGrade"] = round(0.39 * asl + 11.8 * asw - 15.59, 1)
    return result


def format_duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min" if rest < 30 else f"{minutes + 1} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def read_input() -> dict[str, Any]:
    raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    if len(raw) > MAX_INPUT_BYTES:
        raise ToolError("INPUT_TOO_LARGE", f"input exceeds {MAX_INPUT_BYTES} bytes")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ToolError("INVALID_INPUT", f"stdin is not a JSON document: {exc}") from None
    if not isinstance(doc, dict):
        raise ToolError("INVALID_INPUT", "input must be a JSON object")
    unknown = sorted(set(doc) - ALLOWED_KEYS)
    if unknown:
        raise ToolError("INVALID_INPUT", f"unknown input field(s): {', '.join(unknown)}")
    if not isinstance(doc.get("text"), str):
        raise ToolError("INVALID_INPUT", "'text' is required and must be a string")
    for key, default, low, high in (("topWords", 10, 0, 200), ("wordsPerMinute", 230, 50, 1000), ("minWordLength", 3, 1, 50)):
        value = doc.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ToolError("INVALID_INPUT", f"'{key}' must be an integer between {low} and {high}")
        doc[key] = value
    extra = doc.get("extraStopwords", [])
    if not isinstance(extra, list) or not all(isinstance(w, str) for w in extra) or len(extra) > 1000:
        raise ToolError("INVALID_INPUT", "'extraStopwords' must be an array of at most 1000 strings")
    doc["extraStopwords"] = extra
    language = doc.get("language", "auto")
    if language not in ("auto", *STOPWORDS):
        raise ToolError("INVALID_INPUT", f"'language' must be 'auto' or one of {', '.join(STOPWORDS)}")
    doc["language"] = language
    return doc


def analyze(doc: dict[str, Any]) -> dict[str, Any]:
    text: str = unicodedata.normalize("NFC", doc["text"])
    words = tokenize(text)
    word_count = len(words)
    detected, share = detect_language(words)
    language = detected if doc["language"] == "auto" else doc["language"]
    sentences = count_sentences(text) if words else 0
    paragraphs = len([p for p in re.split(r"\n\s*\n", text) if WORD_RE.search(p)])

    latin = [w for w in words if is_latin_word(w)]
    syllable_count = sum(syllables(w) for w in latin)
    score = readability(language, len(latin), sentences, syllable_count) if latin and len(latin) * 2 >= word_count else None

    stop = set(STOPWORDS.get(language, frozenset())) | {w.lower() for w in doc["extraStopwords"]}
    if language == "unknown":
        stop |= STOPWORDS["en"]
    counted = Counter(
        w.lower()
        for w in words
        if w.lower() not in stop
        and not any(c.isdigit() for c in w)
        and (len(w) >= doc["minWordLength"] or (is_spaceless_script(w[0]) and not is_hiragana(w)))
    )
    top = sorted(counted.items(), key=lambda item: (-item[1], item[0]))[: doc["topWords"]]

    seconds = math.ceil(word_count / doc["wordsPerMinute"] * 60) if word_count else 0
    return {
        "characters": len(text),
        "charactersNoSpaces": sum(1 for c in text if not c.isspace()),
        "letters": sum(1 for c in text if c.isalpha()),
        "words": word_count,
        "uniqueWords": len({w.lower() for w in words}),
        "sentences": sentences,
        "paragraphs": paragraphs,
        "lines": len(text.splitlines()),
        "averageWordLength": round(sum(len(w) for w in words) / word_count, 2) if word_count else 0,
        "syllables": syllable_count,
        "readingTimeSeconds": seconds,
        "readingTime": format_duration(seconds),
        "language": language,
        "languageConfidence": share if doc["language"] == "auto" else None,
        "readability": score,
        "topWords": [{"word": word, "count": count} for word, count in top],
    }


def main() -> None:
    try:
        result = analyze(read_input())
    except ToolError as exc:
        print(f"text_stats: {exc.message}", file=sys.stderr)
        fail(exc)
    json.dump(result, sys.stdout, ensure_ascii=False, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
