//! The webhook traffic of a load run: signed, unique payloads shaped like
//! Meta's, in a fixed mix, from a fixed-seed RNG so runs are comparable.
//!
//! Every inbound message comes from a number of its own unless it is part
//! of a burst, so what the service must answer is known exactly (see
//! [`Expect`]): a conversation acknowledged once stays quiet afterwards,
//! and a number over `[privacy] auto_replies_per_minute` is not answered,
//! so neither is generated.

use crate::payload;
use loket::whatsapp::signature::sign_body;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use std::collections::VecDeque;

/// Questions the shipped knowledge base answers (checked with `loket ask`),
/// from entries that do not hand over: the bot answers each of them, any
/// number of times in one conversation, at any hour.
pub const FAQ_QUESTIONS: &[&str] = &[
    "wanneer wordt mijn uitkering betaald",
    "wat kost een paspoort",
    "hoe vraag ik een parkeervergunning aan",
    "hoe laat is het stadhuis open",
    "wat mag er in de pmd zak",
    "hoe geef ik een geboorte aan",
    "hoeveel hondenbelasting betaal ik",
    "hoe maak ik een afspraak",
];

/// Messages that go to the human queue: the bot acknowledges the first one
/// of a conversation (once per open or closed period).
pub const QUEUE_QUESTIONS: &[&str] = &[
    "Ik wil graag een medewerker spreken",
    "Waarom is mijn uitkering nog niet betaald?",
    "Ik ben het niet eens met de beslissing over mijn bijstand",
];

/// What the load tool expects for one inbound message.
#[derive(Debug, Clone)]
pub struct Expect {
    pub wamid: String,
    /// The sender's number, the `to` of the replies.
    pub number: String,
    /// Whether the service must answer it (at least one message).
    pub reply: bool,
}

/// One webhook POST, signed.
#[derive(Debug, Clone)]
pub struct Request {
    pub body: std::sync::Arc<[u8]>,
    pub signature: String,
    /// The messages in it; empty for status callbacks.
    pub messages: Vec<Expect>,
    /// Status updates in it.
    pub statuses: usize,
    /// A byte-for-byte redelivery of an earlier request.
    pub redelivery: bool,
    /// Photos in it.
    pub images: usize,
}

/// The mix, in percent of requests. Questions and images share
/// `FAQ_OR_IMAGE`: images take [`Traffic::with_images`]'s share of it.
const FAQ_OR_IMAGE: u32 = 63;
const QUEUE: u32 = 12;
/// Images by default, in percent of requests.
pub const DEFAULT_IMAGE_PERCENT: u32 = 10;
/// The most images the mix can hold.
pub const MAX_IMAGE_PERCENT: u32 = FAQ_OR_IMAGE;
const STATUS: u32 = 15;
const DUPLICATE: u32 = 5;
// The remaining 5 %: a burst from one number.

/// Generates the requests of a run.
#[derive(Debug)]
pub struct Traffic {
    rng: StdRng,
    secret: Vec<u8>,
    run: u64,
    next_number: u64,
    next_wamid: u64,
    pending: VecDeque<Request>,
    /// Recent requests, for redeliveries.
    recent: VecDeque<Request>,
    /// Built ahead by [`Traffic::prepare`].
    ready: VecDeque<Request>,
    burst: usize,
    timestamp: i64,
    /// Share of requests that carry a photo, in percent.
    image_percent: u32,
    /// Media ids the fake Graph API serves a photo for; images take them in
    /// turn. Empty: ids no one serves (the service records a failed fetch).
    image_ids: Vec<String>,
    next_image: usize,
}

impl Traffic {
    /// `run` makes wamids and numbers unique per run (a service may be
    /// reused); `burst` is the number of questions a burst sends from one
    /// number, at most the service's flood limit so all are answered.
    pub fn new(secret: &[u8], run: u64, burst: usize, timestamp: i64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(0x10AD_0000 ^ run),
            secret: secret.to_vec(),
            run,
            next_number: 0,
            next_wamid: 0,
            pending: VecDeque::new(),
            recent: VecDeque::new(),
            ready: VecDeque::new(),
            burst: burst.max(1),
            timestamp,
            image_percent: DEFAULT_IMAGE_PERCENT,
            image_ids: Vec::new(),
            next_image: 0,
        }
    }

    /// Sends `percent` of the requests as photos whose files are `ids`
    /// (at most [`MAX_IMAGE_PERCENT`]).
    pub fn with_images(mut self, percent: u32, ids: Vec<String>) -> Self {
        self.image_percent = percent.min(MAX_IMAGE_PERCENT);
        self.image_ids = ids;
        self
    }

    fn image_id(&mut self) -> Option<String> {
        if self.image_ids.is_empty() {
            return None;
        }
        let id = self.image_ids[self.next_image % self.image_ids.len()].clone();
        self.next_image += 1;
        Some(id)
    }

    fn number(&mut self) -> String {
        self.next_number += 1;
        // 316 + 8 digits: fictional Dutch mobile numbers, unique per run
        // (the run id picks one of 100 blocks of a million).
        format!(
            "316{:02}{:06}",
            self.run % 100,
            self.next_number % 1_000_000
        )
    }

    fn wamid(&mut self) -> String {
        self.next_wamid += 1;
        format!("wamid.LOADGEN{}x{:010}", self.run, self.next_wamid)
    }

    fn sign(&self, value: &[Value], messages: Vec<Expect>, statuses: usize) -> Request {
        let body = payload::batch(value);
        let signature = sign_body(&self.secret, body.as_bytes());
        Request {
            body: body.into_bytes().into(),
            signature,
            messages,
            statuses,
            redelivery: false,
            images: 0,
        }
    }

    fn text(&mut self, number: &str, text: &str) -> Request {
        let wamid = self.wamid();
        let value = payload::text_value(number, &wamid, text, self.timestamp);
        let expect = Expect {
            wamid,
            number: number.to_owned(),
            reply: true,
        };
        self.sign(&[value], vec![expect], 0)
    }

    fn fresh(&mut self) -> Request {
        let roll = self.rng.gen_range(0..100);
        let faq = FAQ_OR_IMAGE - self.image_percent;
        if roll < faq {
            let number = self.number();
            let question = FAQ_QUESTIONS[self.rng.gen_range(0..FAQ_QUESTIONS.len())];
            self.text(&number, question)
        } else if roll < faq + QUEUE {
            let number = self.number();
            let question = QUEUE_QUESTIONS[self.rng.gen_range(0..QUEUE_QUESTIONS.len())];
            self.text(&number, question)
        } else if roll < FAQ_OR_IMAGE + QUEUE {
            let number = self.number();
            let wamid = self.wamid();
            let value = match self.image_id() {
                Some(id) => payload::media_value_with_id(
                    &number,
                    &wamid,
                    "image",
                    Some(&id),
                    self.timestamp,
                ),
                None => payload::media_value(&number, &wamid, "image", self.timestamp),
            };
            let expect = Expect {
                wamid,
                number,
                reply: true,
            };
            let mut request = self.sign(&[value], vec![expect], 0);
            request.images = 1;
            request
        } else if roll < FAQ_OR_IMAGE + QUEUE + STATUS {
            // Meta reports sent/delivered/read for what we sent; the wamid
            // is made up, as the load tool does not know the service's ids.
            let wamid = self.wamid();
            let status = ["sent", "delivered", "read"][self.rng.gen_range(0..3)];
            let number = self.number();
            let value = payload::status_value(&wamid, status, &number, self.timestamp);
            self.sign(&[value], Vec::new(), 1)
        } else if roll < FAQ_OR_IMAGE + QUEUE + STATUS + DUPLICATE
            && let Some(earlier) = self.pick_recent()
        {
            let mut again = earlier;
            again.redelivery = true;
            again
        } else {
            let number = self.number();
            let start = self.rng.gen_range(0..FAQ_QUESTIONS.len());
            let mut burst: VecDeque<Request> = (0..self.burst)
                .map(|i| {
                    let question = FAQ_QUESTIONS[(start + i) % FAQ_QUESTIONS.len()];
                    self.text(&number, question)
                })
                .collect();
            let first = burst.pop_front();
            self.pending.extend(burst);
            match first {
                Some(first) => first,
                None => self.fresh(),
            }
        }
    }

    fn pick_recent(&mut self) -> Option<Request> {
        if self.recent.is_empty() {
            return None;
        }
        let index = self.rng.gen_range(0..self.recent.len());
        self.recent.get(index).cloned()
    }

    /// The next request to send.
    /// Builds and signs the next `count` requests now, so that sending
    /// them later costs the load tool only the sending: it shares the
    /// machine with the service it measures.
    pub fn prepare(&mut self, count: usize) {
        for _ in 0..count {
            let request = self.generate();
            self.ready.push_back(request);
        }
    }

    /// The next request: a prepared one, else a new one.
    pub fn next_request(&mut self) -> Request {
        match self.ready.pop_front() {
            Some(request) => request,
            None => self.generate(),
        }
    }

    fn generate(&mut self) -> Request {
        let request = match self.pending.pop_front() {
            Some(request) => request,
            None => self.fresh(),
        };
        if !request.redelivery && !request.messages.is_empty() {
            if self.recent.len() >= 1000 {
                self.recent.pop_front();
            }
            self.recent.push_back(request.clone());
        }
        request
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn prepared_requests_are_the_same_as_built_on_the_fly() {
        let mut on_the_fly = Traffic::new(b"secret", 7, 4, 1_763_759_700);
        let mut prepared = Traffic::new(b"secret", 7, 4, 1_763_759_700);
        prepared.prepare(100);
        for i in 0..300 {
            let (a, b) = (on_the_fly.next_request(), prepared.next_request());
            assert_eq!(a.body, b.body, "request {i}");
            assert_eq!(a.redelivery, b.redelivery, "request {i}");
        }
    }

    #[test]
    fn images_take_their_share_and_the_served_ids_in_turn() {
        let ids: Vec<String> = ["111", "222"].map(str::to_owned).to_vec();
        let mut traffic = Traffic::new(b"secret", 7, 4, 1_763_759_700).with_images(10, ids);
        let requests: Vec<Request> = (0..3000).map(|_| traffic.next_request()).collect();
        let fresh: Vec<&Request> = requests.iter().filter(|r| !r.redelivery).collect();
        let images: Vec<&&Request> = fresh.iter().filter(|r| r.images == 1).collect();
        let share = images.len() as f64 / fresh.len() as f64;
        assert!((0.07..=0.13).contains(&share), "{share}");
        for request in &images {
            let body = std::str::from_utf8(&request.body).expect("utf-8");
            assert!(
                body.contains("\"111\"") || body.contains("\"222\""),
                "{body}"
            );
        }
        let mut none = Traffic::new(b"secret", 7, 4, 1_763_759_700).with_images(0, Vec::new());
        assert!((0..2000).all(|_| none.next_request().images == 0));
    }

    #[test]
    fn the_mix_has_every_kind_unique_wamids_and_valid_signatures() {
        let mut traffic = Traffic::new(b"secret", 7, 4, 1_763_759_700);
        let requests: Vec<Request> = (0..2000).map(|_| traffic.next_request()).collect();
        let redeliveries = requests.iter().filter(|r| r.redelivery).count();
        let statuses = requests.iter().filter(|r| r.statuses > 0).count();
        assert!((50..=150).contains(&redeliveries), "{redeliveries}");
        assert!((200..=400).contains(&statuses), "{statuses}");
        let mut seen = HashSet::new();
        for request in requests.iter().filter(|r| !r.redelivery) {
            for message in &request.messages {
                assert!(seen.insert(message.wamid.clone()), "unique wamids");
            }
            assert!(
                loket::whatsapp::signature::verify_signature(
                    b"secret",
                    &request.body,
                    Some(&request.signature)
                )
                .is_ok()
            );
        }
        // A burst: four consecutive questions from one number.
        let numbers: Vec<&str> = requests
            .iter()
            .filter(|r| !r.redelivery)
            .filter_map(|r| r.messages.first().map(|m| m.number.as_str()))
            .collect();
        assert!(
            numbers.windows(4).any(|w| w.iter().all(|n| *n == w[0])),
            "bursts from one number"
        );
    }
}
