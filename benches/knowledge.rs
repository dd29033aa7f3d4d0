//! Benchmarks of the FAQ knowledge search, printed as tables (no criterion:
//! the figures are for a README or a pull request, not for regressions).
//!
//! Measures, per knowledge base size:
//! - query latency of `triage`, the full path the bot takes for a
//!   question (classifier, urgency, rules, decision): p50,
//!   p99, max and mean wall time in µs, and the mean CPU time of the
//!   querying thread, which other load on the machine does not inflate.
//!   The questions are all of `tests/eval/dev.jsonl`
//!   and `tests/eval/test.jsonl`, their language detected beforehand as the
//!   bot does, repeated to at least 5,000 timed queries after one untimed
//!   warm-up round;
//! - build time: `load_dir` (reading and parsing the markdown files) and
//!   `KnowledgeBase::from_loaded` (building the index), separately and
//!   together, the median of a few builds, with its CPU time;
//! - memory: `VmRSS` before loading, after loading and after building, and
//!   the process's peak (`VmHWM`) after the queries, from `/proc/self/status`.
//!
//! Sizes are `seed` (the real `knowledge/` folder) and generated knowledge
//! bases of N answer files: N/2 generated ids, each with a Dutch and an
//! English file, in a temporary folder together with a copy of the real
//! seed folder (answers, synonyms, data files). The generated answers are
//! Dutch municipal FAQ files in the real format, built from topic × subject
//! × action with filler words from a fixed-seed RNG, so every run indexes
//! the same text.
//!
//! Run (release):
//!
//! ```text
//! cargo bench --bench knowledge                      # seed, 1000, 10000
//! cargo bench --bench knowledge -- seed 2000         # chosen sizes
//! LOKET_BENCH_SIZES=seed,50000 cargo bench --bench knowledge
//! ```
//!
//! `LOKET_BENCH_WRITE=/tmp/kb10k:10000 cargo bench --bench knowledge`
//! only writes such a generated knowledge base to a folder (to load the
//! whole service with it, see README "Load").
//!
//! `LOKET_BENCH_QUERIES` sets the minimum number of timed queries per size
//! (default 5000), `LOKET_BENCH_BUILDS` the number of timed builds per size
//! (default 3). Each size runs in its own child process (the bench binary
//! again, with `LOKET_BENCH_CHILD=<size>`), so its memory figures are its
//! own.

use chrono::NaiveDate;
use loket::domain::Language;
use loket::knowledge::base::KnowledgeBase;
use loket::knowledge::decision::Thresholds;
use loket::knowledge::eval::read_cases;
use loket::knowledge::load_dir;
use loket::knowledge::triage::{Outcome, triage};
use loket::reply::language;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The same seed every run, so runs index the same generated text.
const SEED: u64 = 0x10_4E7;
const DEFAULT_SIZES: &str = "seed,1000,10000";
const DEFAULT_QUERIES: usize = 5000;
const DEFAULT_BUILDS: usize = 3;

/// A fixed date: the search leaves out entries not valid on the date, and
/// a bench must not depend on the day it runs. A Monday in 2026, inside
/// the seed's data calendars.
fn bench_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 16).expect("a valid date")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Size {
    Seed,
    Generated(usize),
}

impl Size {
    /// As written on the command line.
    fn token(self) -> String {
        match self {
            Size::Seed => "seed".to_owned(),
            Size::Generated(n) => n.to_string(),
        }
    }

    fn label(self) -> String {
        match self {
            Size::Seed => "seed".to_owned(),
            Size::Generated(n) => format!("{n} gen"),
        }
    }
}

fn parse_sizes(text: &str) -> Vec<Size> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.eq_ignore_ascii_case("seed") {
                Size::Seed
            } else {
                let n: usize = s.replace('_', "").parse().unwrap_or_else(|_| {
                    panic!("size {s:?} is neither `seed` nor a number of files")
                });
                Size::Generated(n)
            }
        })
        .collect()
}

/// Sizes from the command line, else `LOKET_BENCH_SIZES`, else the default.
/// `cargo bench` passes `--bench` to the binary; flags are skipped.
fn sizes() -> Vec<Size> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if !args.is_empty() {
        return parse_sizes(&args.join(","));
    }
    let text = std::env::var("LOKET_BENCH_SIZES").unwrap_or_else(|_| DEFAULT_SIZES.to_owned());
    parse_sizes(&text)
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// ---------------------------------------------------------------------------
// Memory

/// A `/proc/self/status` line in kB (`VmRSS`, `VmHWM`), as MB.
fn status_mb(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status
        .lines()
        .find(|l| l.strip_prefix(key).is_some_and(|r| r.starts_with(':')))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// CPU time this thread has run, in ns precision
/// (`/proc/thread-self/schedstat`, first field).
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// CPU time of the whole process, user + system, all threads (also ended
/// ones), from `/proc/self/stat`: 10 ms resolution (USER_HZ is 100 on
/// Linux; reading it properly needs `sysconf`, i.e. a libc dependency).
fn process_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name may hold spaces; the fields after it are fixed.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 (utime) and 15 (stime) of proc(5); `rest` starts at 3.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn mb(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.1}"))
}

// ---------------------------------------------------------------------------
// Generated knowledge

/// (Dutch, English, slug) of a municipal topic.
const TOPICS: [(&str, &str, &str); 24] = [
    ("afval", "waste", "afval"),
    ("parkeren", "parking", "parkeren"),
    ("burgerzaken", "civil affairs", "burgerzaken"),
    ("belastingen", "taxes", "belasting"),
    ("bijstand", "social assistance", "bijstand"),
    ("subsidie", "grants", "subsidie"),
    ("vergunningen", "permits", "vergunning"),
    ("verhuizen", "moving house", "verhuizen"),
    ("zorg", "care", "zorg"),
    ("jeugdhulp", "youth care", "jeugd"),
    ("onderwijs", "education", "onderwijs"),
    ("sport", "sports", "sport"),
    ("cultuur", "culture", "cultuur"),
    ("groenbeheer", "public green", "groen"),
    ("wegen", "roads", "wegen"),
    ("riolering", "sewerage", "riool"),
    ("evenementen", "events", "evenement"),
    ("markt", "market", "markt"),
    ("begraafplaats", "cemetery", "begraven"),
    ("wonen", "housing", "wonen"),
    ("energie", "energy", "energie"),
    ("verkeer", "traffic", "verkeer"),
    ("ondernemen", "business", "ondernemen"),
    ("openbare ruimte", "public space", "openbare-ruimte"),
];

/// (Dutch, English, slug) of what a question is about.
const SUBJECTS: [(&str, &str, &str); 26] = [
    ("container", "bin", "container"),
    ("kerstboom", "christmas tree", "kerstboom"),
    ("stoep", "pavement", "stoep"),
    ("lantaarnpaal", "street light", "lantaarnpaal"),
    ("boom", "tree", "boom"),
    ("speeltuin", "playground", "speeltuin"),
    ("fietsenrek", "bicycle rack", "fietsenrek"),
    ("parkeervergunning", "parking permit", "parkeervergunning"),
    ("hondenpenning", "dog tag", "hondenpenning"),
    ("dakkapel", "dormer", "dakkapel"),
    ("schutting", "fence", "schutting"),
    ("zonnepanelen", "solar panels", "zonnepanelen"),
    ("laadpaal", "charging point", "laadpaal"),
    ("bankstel", "sofa", "bankstel"),
    ("terras", "terrace", "terras"),
    ("standplaats", "market pitch", "standplaats"),
    ("rolstoel", "wheelchair", "rolstoel"),
    ("scootmobiel", "mobility scooter", "scootmobiel"),
    ("leerlingenvervoer", "school transport", "leerlingenvervoer"),
    ("sportveld", "sports field", "sportveld"),
    ("grafrechten", "grave rights", "grafrechten"),
    ("aanbouw", "extension", "aanbouw"),
    ("isolatie", "insulation", "isolatie"),
    ("bewonerskaart", "residents card", "bewonerskaart"),
    ("uitrit", "driveway", "uitrit"),
    ("paspoort", "passport", "paspoort"),
];

/// (Dutch infinitive, English verb, slug).
const ACTIONS: [(&str, &str, &str); 15] = [
    ("aanvragen", "apply for", "aanvragen"),
    ("verlengen", "renew", "verlengen"),
    ("opzeggen", "cancel", "opzeggen"),
    ("wijzigen", "change", "wijzigen"),
    ("melden", "report", "melden"),
    ("betalen", "pay for", "betalen"),
    ("ophalen", "collect", "ophalen"),
    ("vervangen", "replace", "vervangen"),
    ("aanvechten", "object to", "bezwaar"),
    ("terugvragen", "get a refund for", "terugvragen"),
    ("inschrijven", "register", "inschrijven"),
    ("aanmelden", "sign up for", "aanmelden"),
    ("controleren", "check", "controleren"),
    ("huren", "rent", "huren"),
    ("plaatsen", "place", "plaatsen"),
];

/// (Dutch, English) filler words: who or what the question is for.
const FILLERS: [(&str, &str); 30] = [
    ("woning", "home"),
    ("bedrijf", "business"),
    ("vereniging", "club"),
    ("buurt", "neighbourhood"),
    ("straat", "street"),
    ("moeder", "mother"),
    ("vader", "father"),
    ("kind", "child"),
    ("huurhuis", "rented house"),
    ("appartement", "flat"),
    ("winkel", "shop"),
    ("school", "school"),
    ("buren", "neighbours"),
    ("oma", "grandmother"),
    ("studentenkamer", "student room"),
    ("garage", "garage"),
    ("tuin", "garden"),
    ("camper", "camper van"),
    ("stichting", "foundation"),
    ("kerk", "church"),
    ("zzp", "freelance work"),
    ("uitkering", "benefit"),
    ("pensioen", "pension"),
    ("boot", "boat"),
    ("caravan", "caravan"),
    ("volkstuin", "allotment"),
    ("kinderopvang", "childcare"),
    ("flat", "apartment block"),
    ("dorp", "village"),
    ("centrum", "town centre"),
];

/// Neighbourhoods of the fictional town, for body text.
const WIJKEN: [&str; 8] = [
    "Centrum",
    "Noordhoek",
    "De Weide",
    "Oosterpark",
    "Zuidrand",
    "Havenkwartier",
    "Molenbuurt",
    "Westerveld",
];

/// One generated answer's words.
struct Words<'a> {
    topic: &'a str,
    subject: &'a str,
    action: &'a str,
    filler: &'a str,
    filler2: &'a str,
}

/// Example questions (≥ 6 templates are kept per entry). Each names the
/// topic, the subject and the action, so no two entries share a question:
/// the loader reports a shared question as an error.
fn questions(lang: Language, w: &Words<'_>) -> Vec<String> {
    let Words {
        topic: t,
        subject: s,
        action: a,
        filler: f,
        ..
    } = w;
    match lang {
        Language::Nl => vec![
            format!("hoe kan ik {s} {a} bij {t}"),
            format!("{t} {s} {a}"),
            format!("wat kost {s} {a} bij {t}?"),
            format!("waar moet ik {s} {a} voor {t}"),
            format!("kan ik {s} online {a} bij {t}"),
            format!("hoelang duurt {s} {a} bij {t}"),
            format!("ik wil {s} {a}, wat heb ik nodig voor {t}"),
            format!("{t} {s} {a} voor mijn {f}"),
            format!("wie helpt mij met {s} {a} ({t})"),
            format!("moet ik {s} {a} voor mijn {f} bij {t} regelen?"),
        ],
        Language::En => vec![
            format!("how can I {a} {s} at {t}"),
            format!("{t} {a} {s}"),
            format!("what does it cost to {a} {s} at {t}?"),
            format!("where do I {a} {s} for {t}"),
            format!("can I {a} {s} online at {t}"),
            format!("how long does it take to {a} {s} at {t}"),
            format!("I want to {a} {s}, what do I need for {t}"),
            format!("{t} {a} {s} for my {f}"),
            format!("who helps me {a} {s} ({t})"),
            format!("do I need to {a} {s} for my {f} at {t}?"),
        ],
    }
}

/// Sentences of the answer; the first always opens it.
fn sentences(lang: Language, w: &Words<'_>, rng: &mut StdRng) -> Vec<String> {
    let Words {
        topic: t,
        subject: s,
        action: a,
        filler: f,
        filler2: f2,
    } = w;
    let days = rng.gen_range(2..=15);
    let euros = rng.gen_range(5..=120);
    let cents = rng.gen_range(0..100);
    let wijk = WIJKEN.choose(rng).copied().unwrap_or("Centrum");
    match lang {
        Language::Nl => vec![
            format!(
                "Deze info gaat over *{s} {a}*. Dat regel je bij de gemeente Voorbeeldstad, team {t}."
            ),
            format!("Je kunt {s} {a} online regelen met DigiD, of op afspraak in het stadhuis."),
            format!("*Neem mee*\n- Een geldig identiteitsbewijs\n- Gegevens over je {f}"),
            format!("De kosten zijn €{euros},{cents:02}. Je betaalt met pin of via iDEAL."),
            format!("Na ongeveer {days} werkdagen krijg je bericht van ons."),
            format!(
                "Let op: voor {f} en {f2} gelden soms andere regels. Kijk op de website of bel 14 0123."
            ),
            format!("Woon je in {wijk}? Dan kan het ook bij het wijkteam {t}."),
            "Ben je het niet eens met het besluit? Dan kun je binnen 6 weken bezwaar maken."
                .to_owned(),
            format!(
                "Goed om te weten: {s} {a} kan alleen als je in Voorbeeldstad ingeschreven staat."
            ),
            format!("Vragen over {t}? Stuur ons een bericht, dan helpt een collega je verder."),
        ],
        Language::En => vec![
            format!(
                "This is about how to *{a} {s}*. You arrange it with the municipality of Voorbeeldstad, team {t}."
            ),
            format!("You can {a} {s} online with DigiD, or by appointment at the town hall."),
            format!("*Bring*\n- A valid proof of identity\n- Details about your {f}"),
            format!("It costs €{euros}.{cents:02}. You pay by card or with iDEAL."),
            format!("You will hear from us within about {days} working days."),
            format!(
                "Note: other rules may apply to {f} and {f2}. Check the website or call 14 0123."
            ),
            format!("Do you live in {wijk}? Then the {t} neighbourhood team can help too."),
            "Do you disagree with the decision? You can object within 6 weeks.".to_owned(),
            format!("Good to know: you can only {a} {s} if you are registered in Voorbeeldstad."),
            format!("Questions about {t}? Send us a message and a colleague will help you."),
        ],
    }
}

/// A body of 300-600 characters: the opening sentence, then others in
/// random order while they fit.
fn body(lang: Language, w: &Words<'_>, rng: &mut StdRng) -> String {
    let target = rng.gen_range(300..=600);
    let mut pool = sentences(lang, w, rng);
    let first = pool.remove(0);
    pool.shuffle(rng);
    let mut text = first;
    for sentence in pool {
        let length = text.chars().count();
        if length >= target {
            break;
        }
        if length + 2 + sentence.chars().count() <= 600 {
            text.push_str("\n\n");
            text.push_str(&sentence);
        }
    }
    text
}

/// The markdown file of generated answer `index` in `lang`.
fn entry_file(index: usize, lang: Language, rng: &mut StdRng) -> (String, String) {
    // Mixed radix over topic × subject × action: every index below
    // 24 × 26 × 15 = 9,360 gets its own combination.
    let topic = TOPICS[index % TOPICS.len()];
    let subject = SUBJECTS[(index / TOPICS.len()) % SUBJECTS.len()];
    let action = ACTIONS[(index / (TOPICS.len() * SUBJECTS.len())) % ACTIONS.len()];
    // The index keeps ids unique beyond the 9,360 combinations.
    let id = format!("{}-{}-{}-{index}", topic.2, subject.2, action.2);
    let pick = |(nl, en): (&'static str, &'static str)| match lang {
        Language::Nl => nl,
        Language::En => en,
    };
    let filler = pick(*FILLERS.choose(rng).unwrap_or(&FILLERS[0]));
    let filler2 = pick(*FILLERS.choose(rng).unwrap_or(&FILLERS[1]));
    let words = Words {
        topic: pick((topic.0, topic.1)),
        subject: pick((subject.0, subject.1)),
        action: pick((action.0, action.1)),
        filler,
        filler2,
    };
    let mut all = questions(lang, &words);
    all.shuffle(rng);
    all.truncate(rng.gen_range(6..=8));
    let title = match lang {
        Language::Nl => format!(
            "{} {} ({})",
            capitalise(words.subject),
            words.action,
            words.topic
        ),
        Language::En => format!(
            "{} {} ({})",
            capitalise(words.action),
            words.subject,
            words.topic
        ),
    };
    let label = match lang {
        Language::Nl => format!("Meer over {}", words.topic),
        Language::En => format!("More about {}", words.topic),
    };
    let mut text = String::new();
    let _ = writeln!(text, "---\nid: {id}\ntitle: {title}\nlang: {}", lang.code());
    text.push_str("questions:\n");
    for question in &all {
        let _ = writeln!(text, "  - {question}");
    }
    let _ = writeln!(
        text,
        "keywords: [{}, {}, {}, {}, {}]",
        words.topic, words.subject, words.action, words.filler, words.filler2
    );
    let _ = writeln!(
        text,
        "links:\n  - label: {label}\n    url: https://www.voorbeeldstad.nl/{}/{}\n---",
        topic.2, subject.2
    );
    text.push_str(&body(lang, &words, rng));
    text.push('\n');
    (id, text)
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create a folder in the temp dir");
    for item in std::fs::read_dir(from).expect("read the seed knowledge folder") {
        let item = item.expect("a seed folder item");
        let target = to.join(item.file_name());
        if item.path().is_dir() {
            copy_dir(&item.path(), &target);
        } else {
            std::fs::copy(item.path(), &target).expect("copy a seed file");
        }
    }
}

/// A temp knowledge folder: the seed plus `files` generated answer files
/// (half Dutch, half English, same ids), written one at a time so the
/// generator's text does not count in the memory figures.
fn generate(seed_dir: &Path, files: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("create a temp dir");
    write_generated(seed_dir, dir.path(), files);
    dir
}

/// Writes the seed plus `files` generated answer files into `dir`.
fn write_generated(seed_dir: &Path, dir: &Path, files: usize) {
    copy_dir(seed_dir, dir);
    let mut rng = StdRng::seed_from_u64(SEED);
    for index in 0..files.div_ceil(2) {
        for lang in [Language::Nl, Language::En] {
            let (id, text) = entry_file(index, lang, &mut rng);
            let path = dir.join(lang.code()).join(format!("{id}.md"));
            std::fs::write(path, text).expect("write a generated answer");
        }
    }
}

/// `LOKET_BENCH_WRITE=<dir>:<files>` writes a generated knowledge base to
/// `dir` and exits, for measuring the whole service on it (`loket
/// loadgen --child --knowledge-dir <dir>`).
const WRITE_ENV: &str = "LOKET_BENCH_WRITE";

// ---------------------------------------------------------------------------
// Measuring

struct Question {
    text: String,
    language: Option<Language>,
    expect: Option<String>,
}

fn read_questions(root: &Path) -> Vec<Question> {
    ["dev.jsonl", "test.jsonl"]
        .iter()
        .flat_map(|file| read_cases(&root.join("tests/eval").join(file)).expect("eval questions"))
        .map(|case| Question {
            // Detected outside the timing, as the bot does before `ask`.
            language: language::detect(&case.q),
            text: case.q,
            expect: case.expect,
        })
        .collect()
}

#[derive(Serialize, Deserialize)]
struct Latency {
    count: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
    mean: Duration,
    /// CPU time of the querying thread per query: unlike wall time, not
    /// inflated when other processes share the cores.
    cpu_mean: Option<Duration>,
}

/// Nearest-rank percentile of sorted times.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// What `ask` decided over one round of the questions.
#[derive(Default, Serialize, Deserialize)]
struct Decisions {
    answer: usize,
    choose: usize,
    abstain: usize,
    /// Questions with an expected entry whose best hit is that entry.
    top1: usize,
    answerable: usize,
}

fn decide_round(kb: &KnowledgeBase, questions: &[Question], thresholds: &Thresholds) -> Decisions {
    let mut d = Decisions::default();
    for q in questions {
        let triaged = triage(&q.text, q.language, Some(kb), thresholds, bench_date());
        match triaged.outcome {
            Outcome::Answer(_) | Outcome::SmallTalk(_) => d.answer += 1,
            Outcome::Choose(_) => d.choose += 1,
            Outcome::HandOver(_) | Outcome::Urgent(_) => d.abstain += 1,
        }
        if let Some(expect) = &q.expect {
            d.answerable += 1;
            if triaged
                .hits
                .first()
                .is_some_and(|h| h.id.as_str() == expect)
            {
                d.top1 += 1;
            }
        }
    }
    d
}

/// One untimed warm-up round (which also counts the decisions), then whole
/// rounds until at least `minimum` queries are timed.
fn run_queries(kb: &KnowledgeBase, questions: &[Question], minimum: usize) -> (Latency, Decisions) {
    let thresholds = Thresholds::default();
    let decisions = decide_round(kb, questions, &thresholds);
    let rounds = minimum.div_ceil(questions.len()).max(1);
    let mut times = Vec::with_capacity(rounds * questions.len());
    let cpu_start = thread_cpu();
    for _ in 0..rounds {
        for q in questions {
            let start = Instant::now();
            // The whole triage: classifier, urgency, rules, decision.
            let triaged = triage(
                black_box(&q.text),
                q.language,
                Some(kb),
                black_box(&thresholds),
                bench_date(),
            );
            times.push(start.elapsed());
            black_box(triaged);
        }
    }
    let cpu = thread_cpu()
        .zip(cpu_start)
        .map(|(end, start)| end.saturating_sub(start));
    times.sort_unstable();
    let total: Duration = times.iter().sum();
    let count = u32::try_from(times.len()).unwrap_or(u32::MAX).max(1);
    let latency = Latency {
        count: times.len(),
        p50: percentile(&times, 50.0),
        p99: percentile(&times, 99.0),
        max: times.last().copied().unwrap_or_default(),
        mean: total / count,
        cpu_mean: cpu.map(|c| c / count),
    };
    (latency, decisions)
}

#[derive(Serialize, Deserialize)]
struct Build {
    load: Duration,
    index: Duration,
    /// CPU time of the process (all threads: tantivy indexes in its own).
    load_cpu: Option<Duration>,
    index_cpu: Option<Duration>,
}

/// Runs `f`, returning its wall time and the process's CPU time.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration, Option<Duration>) {
    let cpu_start = process_cpu();
    let start = Instant::now();
    let value = f();
    let wall = start.elapsed();
    let cpu = process_cpu()
        .zip(cpu_start)
        .map(|(end, start)| end.saturating_sub(start));
    (value, wall, cpu)
}

/// Median by total time of the builds.
fn median_build(mut builds: Vec<Build>) -> Build {
    builds.sort_by_key(|b| b.load + b.index);
    let middle = builds.len() / 2;
    builds.swap_remove(middle)
}

#[derive(Serialize, Deserialize)]
struct Row {
    size: String,
    files: usize,
    entries: usize,
    errors: usize,
    latency: Latency,
    decisions: Decisions,
    build: Build,
    builds: usize,
    rss_before: Option<f64>,
    rss_loaded: Option<f64>,
    rss_built: Option<f64>,
    rss_queried: Option<f64>,
    peak: Option<f64>,
}

fn count_files(dir: &Path) -> usize {
    ["nl", "en"]
        .iter()
        .filter_map(|lang| std::fs::read_dir(dir.join(lang)).ok())
        .map(|read| read.flatten().count())
        .sum()
}

fn measure(size: Size, dir: &Path, questions: &[Question], minimum: usize, builds: usize) -> Row {
    // The first build is the one measured for memory and queried; the
    // others (timing only) run after the peak is read, so the peak holds
    // one knowledge base, as in the server between reloads.
    let rss_before = status_mb("VmRSS");
    let (loaded, load, load_cpu) = timed(|| load_dir(dir));
    let rss_loaded = status_mb("VmRSS");
    let (kb, index, index_cpu) =
        timed(|| KnowledgeBase::from_loaded(loaded).expect("build the index"));
    let rss_built = status_mb("VmRSS");

    let (latency, decisions) = run_queries(&kb, questions, minimum);
    let rss_queried = status_mb("VmRSS");
    let peak = status_mb("VmHWM");
    let entries = kb.index.entries().len();
    let errors = kb.error_count();
    drop(kb);

    let mut timings = vec![Build {
        load,
        index,
        load_cpu,
        index_cpu,
    }];
    for _ in 1..builds {
        let (loaded, load, load_cpu) = timed(|| load_dir(dir));
        let (kb, index, index_cpu) =
            timed(|| KnowledgeBase::from_loaded(loaded).expect("build the index"));
        drop(black_box(kb));
        timings.push(Build {
            load,
            index,
            load_cpu,
            index_cpu,
        });
    }

    Row {
        size: size.label(),
        files: count_files(dir),
        entries,
        errors,
        latency,
        decisions,
        build: median_build(timings),
        builds,
        rss_before,
        rss_loaded,
        rss_built,
        rss_queried,
        peak,
    }
}

fn micros(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e6)
}

fn millis(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

fn diff(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) => format!("{:+.1}", b - a),
        _ => "n/a".to_owned(),
    }
}

fn print_tables(rows: &[Row]) {
    println!();
    println!(
        "Query latency of triage (the bot's whole path for a question), µs per query (after one warm-up round)"
    );
    println!(
        "{:<10} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}   decisions (answer/choose/abstain)  top-1",
        "size", "files", "entries", "queries", "p50", "p99", "max", "mean", "cpu mean"
    );
    for r in rows {
        let d = &r.decisions;
        println!(
            "{:<10} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}   {:>4}/{:>3}/{:>3} of {:<17}  {}/{}",
            r.size,
            r.files,
            r.entries,
            r.latency.count,
            micros(r.latency.p50),
            micros(r.latency.p99),
            micros(r.latency.max),
            micros(r.latency.mean),
            r.latency.cpu_mean.map_or_else(|| "n/a".to_owned(), micros),
            d.answer,
            d.choose,
            d.abstain,
            d.answer + d.choose + d.abstain,
            d.top1,
            d.answerable,
        );
    }
    println!();
    println!(
        "Build time, ms wall (median of the builds by total), and that build's process CPU time (10 ms ticks)"
    );
    println!(
        "{:<10} {:>7} {:>7} {:>10} {:>12} {:>10} {:>9} {:>10} {:>7}",
        "size",
        "files",
        "builds",
        "load_dir",
        "from_loaded",
        "total",
        "cpu load",
        "cpu index",
        "errors"
    );
    let cpu = |d: Option<Duration>| d.map_or_else(|| "n/a".to_owned(), millis);
    for r in rows {
        println!(
            "{:<10} {:>7} {:>7} {:>10} {:>12} {:>10} {:>9} {:>10} {:>7}",
            r.size,
            r.files,
            r.builds,
            millis(r.build.load),
            millis(r.build.index),
            millis(r.build.load + r.build.index),
            cpu(r.build.load_cpu),
            cpu(r.build.index_cpu),
            r.errors,
        );
    }
    println!();
    println!("Memory, MB (VmRSS at each step, peak = VmHWM; one process per size)");
    println!(
        "{:<10} {:>8} {:>8} {:>8} {:>9} {:>9} {:>10} {:>8}",
        "size", "before", "loaded", "built", "queried", "load Δ", "index Δ", "peak"
    );
    for r in rows {
        println!(
            "{:<10} {:>8} {:>8} {:>8} {:>9} {:>9} {:>10} {:>8}",
            r.size,
            mb(r.rss_before),
            mb(r.rss_loaded),
            mb(r.rss_built),
            mb(r.rss_queried),
            diff(r.rss_before, r.rss_loaded),
            diff(r.rss_loaded, r.rss_built),
            mb(r.peak),
        );
    }
}

/// Set in the child process that measures one size.
const CHILD_ENV: &str = "LOKET_BENCH_CHILD";
/// Marks the child's result line on its stdout.
const ROW_MARK: &str = "LOKET_BENCH_ROW ";

/// Measures one size in this process and prints the row for the parent.
fn child(size: Size) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let seed_dir = root.join("knowledge");
    let questions = read_questions(&root);
    let minimum = env_number("LOKET_BENCH_QUERIES", DEFAULT_QUERIES);
    let builds = env_number("LOKET_BENCH_BUILDS", DEFAULT_BUILDS).max(1);
    let row = match size {
        Size::Seed => measure(size, &seed_dir, &questions, minimum, builds),
        Size::Generated(files) => {
            let start = Instant::now();
            let dir = generate(&seed_dir, files);
            eprintln!("generated {files} files in {} ms", millis(start.elapsed()));
            measure(size, dir.path(), &questions, minimum, builds)
        }
    };
    eprintln!(
        "{}: p50 {} µs, build {} ms",
        row.size,
        micros(row.latency.p50),
        millis(row.build.load + row.build.index)
    );
    println!(
        "{ROW_MARK}{}",
        serde_json::to_string(&row).expect("serialise the row")
    );
}

/// Runs `size` in a fresh process: RSS and the peak (`VmHWM`) then belong
/// to that size alone, not to memory the allocator kept from a previous
/// size or to the largest size run before.
fn spawn(size: Size) -> Row {
    let exe = std::env::current_exe().expect("the bench's own path");
    let output = std::process::Command::new(exe)
        .env(CHILD_ENV, size.token())
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("run the bench for one size");
    assert!(
        output.status.success(),
        "the bench for size {} failed: {}",
        size.label(),
        output.status
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix(ROW_MARK))
        .expect("the child printed its row");
    serde_json::from_str(line).expect("parse the child's row")
}

fn main() {
    if let Ok(spec) = std::env::var(WRITE_ENV) {
        let (dir, files) = spec
            .rsplit_once(':')
            .expect("LOKET_BENCH_WRITE=<dir>:<number of files>");
        let files: usize = files.parse().expect("a number of files");
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        std::fs::create_dir_all(dir).expect("create the target folder");
        write_generated(&root.join("knowledge"), Path::new(dir), files);
        println!("wrote the seed and {files} generated answer files to {dir}");
        return;
    }
    if let Ok(token) = std::env::var(CHILD_ENV) {
        let size = parse_sizes(&token)
            .first()
            .copied()
            .expect("one size for the child");
        child(size);
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let questions = read_questions(&root).len();
    let minimum = env_number("LOKET_BENCH_QUERIES", DEFAULT_QUERIES);
    let builds = env_number("LOKET_BENCH_BUILDS", DEFAULT_BUILDS).max(1);
    let sizes = sizes();
    println!(
        "knowledge bench: {questions} eval questions, ≥ {minimum} timed queries and {builds} builds per size, one process per size; sizes: {}",
        sizes
            .iter()
            .map(|s| s.label())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let rows: Vec<Row> = sizes.into_iter().map(spawn).collect();
    print_tables(&rows);
}
