//! Which language a citizen writes in. Chat messages are short ("hoi",
//! "when is the bin collected"), which trigram detectors handle badly, so
//! this counts words that are typical for Dutch or English chat and only
//! switches to English when the evidence is clear. Dutch is the default.

use super::Language;

/// Words that in chat almost only occur in English.
const ENGLISH: &[&str] = &[
    "the",
    "and",
    "what",
    "when",
    "where",
    "how",
    "why",
    "who",
    "which",
    "my",
    "your",
    "you",
    "i",
    "i'm",
    "im",
    "can",
    "could",
    "would",
    "should",
    "do",
    "does",
    "did",
    "have",
    "has",
    "please",
    "thanks",
    "thank",
    "hello",
    "need",
    "want",
    "get",
    "with",
    "for",
    "from",
    "this",
    "that",
    "there",
    "are",
    "were",
    "will",
    "it",
    "to",
    "an",
    "be",
    "not",
    "yes",
    "passport",
    "bin",
    "garbage",
    "trash",
    "waste",
    "collection",
    "collected",
    "benefit",
    "payment",
    "paid",
    "appointment",
    "opening",
    "hours",
    "closed",
    "moving",
    "address",
    "driving",
    "licence",
    "license",
    "tax",
    "morning",
    "evening",
    "good",
    "english",
    "speak",
    "don't",
    "dont",
    "can't",
    "cant",
    "it's",
    "is",
    "me",
    "our",
    "we're",
    "who's",
    "someone",
    "anyone",
    "help",
    "card",
    "id",
    "please",
];

/// Words that in chat almost only occur in Dutch.
const DUTCH: &[&str] = &[
    "de",
    "het",
    "een",
    "en",
    "ik",
    "je",
    "jij",
    "u",
    "mijn",
    "wat",
    "wanneer",
    "waar",
    "hoe",
    "waarom",
    "wie",
    "welke",
    "kan",
    "kun",
    "kunt",
    "wil",
    "moet",
    "heb",
    "hebt",
    "heeft",
    "zijn",
    "niet",
    "geen",
    "ja",
    "nee",
    "dank",
    "bedankt",
    "hallo",
    "hoi",
    "goedemorgen",
    "goedemiddag",
    "goedenavond",
    "dag",
    "met",
    "voor",
    "van",
    "naar",
    "op",
    "aan",
    "bij",
    "om",
    "dit",
    "dat",
    "er",
    "al",
    "nog",
    "ook",
    "wel",
    "maar",
    "graag",
    "alstublieft",
    "aub",
    "pas",
    "paspoort",
    "afval",
    "vuilnis",
    "uitkering",
    "afspraak",
    "verhuizen",
    "rijbewijs",
    "gemeente",
    "hoelaat",
    "laat",
    "wordt",
    "word",
    "worden",
    "mag",
    "zou",
    "zal",
    "jullie",
    "ons",
    "onze",
    "uw",
    "dan",
    "als",
    "ophalen",
    "opgehaald",
    "kliko",
    "morgen",
    "vandaag",
    "is",
    "mij",
    "me",
    "iemand",
    "hulp",
    "vraag",
    "vragen",
    "kaart",
    "tot",
    "meer",
    "weet",
    "weten",
    // "sorry, verkeerd nummer": "sorry" is Dutch chat too, so without
    // these the knowledge base's best guess answered in English.
    "verkeerd",
    "verkeerde",
    "nummer",
];

/// `Some` when the text is clearly Dutch or clearly English, `None` when it
/// gives no evidence (an emoji, "ok", a postcode): the caller keeps the
/// conversation's language then.
pub fn detect(text: &str) -> Option<Language> {
    let (mut english, mut dutch) = (0usize, 0usize);
    for word in text
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
    {
        let word = word.trim_matches('\'');
        // Words in both lists ("is", "me") count for neither.
        match (ENGLISH.contains(&word), DUTCH.contains(&word)) {
            (true, false) => english += 1,
            (false, true) => dutch += 1,
            _ => {}
        }
    }
    if english >= 2 && english > dutch * 2 {
        Some(Language::En)
    } else if english == 1 && dutch == 0 && text.split_whitespace().count() <= 3 {
        // "Hello", "thanks!", "passport?": short, and nothing Dutch about it.
        Some(Language::En)
    } else if dutch >= 1 && dutch >= english {
        Some(Language::Nl)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clearly_english_chat_is_english() {
        for text in [
            "Hello, when is my bin collected?",
            "how do i get a new passport",
            "Can I make an appointment please",
            "thanks!",
        ] {
            assert_eq!(detect(text), Some(Language::En), "{text}");
        }
    }

    #[test]
    fn dutch_chat_is_dutch_even_with_english_loanwords() {
        for text in [
            "Wanneer wordt het grofvuil opgehaald?",
            "hoi ik wil een afspraak maken voor mijn paspoort",
            "Is de container al geleegd? thanks",
            "mijn id kaart is kwijt",
            "sorry verkeerd nummer",
        ] {
            assert_eq!(detect(text), Some(Language::Nl), "{text}");
        }
    }

    #[test]
    fn a_message_without_words_gives_no_evidence() {
        for text in ["👍", "1234 AB", "ok", ""] {
            assert_eq!(detect(text), None, "{text:?}");
        }
    }
}
