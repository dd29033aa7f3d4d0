use loket::domain::Language;
use loket::knowledge::analysis::Vocabulary;
use loket::knowledge::load_dir;
fn main() {
    let loaded = load_dir(std::path::Path::new("knowledge"));
    for lang in [Language::Nl, Language::En] {
        let texts: Vec<String> = loaded.entries.iter().filter(|e| e.lang == lang)
            .flat_map(|e| { let mut t = e.title.clone(); for p in e.questions.iter().chain(&e.keywords) { t.push('\n'); t.push_str(p);} [t, e.body.clone()] }).collect();
        let v = Vocabulary::build(lang, texts.iter().map(String::as_str), loaded.synonyms.groups(lang));
        for q in std::env::args().skip(1) {
            println!("{:?} {q:?}: {:?} unknown {:?}", lang, v.analyze_query(&q), v.unknown_words(&q));
        }
    }
}
