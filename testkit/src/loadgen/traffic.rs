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
}

/// The mix, in percent of requests.
const FAQ: u32 = 55;
const QUEUE: u32 = 12;
const MEDIA: u32 = 8;
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
        }
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
        if roll < FAQ {
            let number = self.number();
            let question = FAQ_QUESTIONS[self.rng.gen_range(0..FAQ_QUESTIONS.len())];
            self.text(&number, question)
        } else if roll < FAQ + QUEUE {
            let number = self.number();
            let question = QUEUE_QUESTIONS[self.rng.gen_range(0..QUEUE_QUESTIONS.len())];
            self.text(&number, question)
        } else if roll < FAQ + QUEUE + MEDIA {
            let number = self.number();
            let wamid = self.wamid();
            let value = payload::media_value(&number, &wamid, "image", self.timestamp);
            let expect = Expect {
                wamid,
                number,
                reply: true,
            };
            self.sign(&[value], vec![expect], 0)
        } else if roll < FAQ + QUEUE + MEDIA + STATUS {
            // Meta reports sent/delivered/read for what we sent; the wamid
            // is made up, as the load tool does not know the service's ids.
            let wamid = self.wamid();
            let status = ["sent", "delivered", "read"][self.rng.gen_range(0..3)];
            let number = self.number();
            let value = payload::status_value(&wamid, status, &number, self.timestamp);
            self.sign(&[value], Vec::new(), 1)
        } else if roll < FAQ + QUEUE + MEDIA + STATUS + DUPLICATE
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
