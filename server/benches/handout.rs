//! One round's hand-out at hall sizes, steady and with churn, and encoding a `hand` frame.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use lapp_protocol::{CardId, CardText, Hand, Pid, ScoringConfig, ServerMsg};
use lapp_server::engine::scoring::{Scoring, ScoringEvent};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// A hall of `cards` writers in round `rounds_done`, every card scored each round.
fn hall(cards: u32, rounds_done: u32) -> (Scoring, Vec<Pid>) {
    let mut rng = StdRng::seed_from_u64(7);
    let mut engine = Scoring::new(ScoringConfig { rounds: 5, top: 10, max_chars: 280 });
    engine.apply(&ScoringEvent::WritingOpened);
    for pid in 1..=cards {
        engine.apply(&ScoringEvent::CardWritten {
            pid: Pid(pid),
            card: CardId(pid),
            text: format!("card {pid}"),
        });
    }
    let present: Vec<Pid> = (1..=cards).map(Pid).collect();
    for _ in 0..rounds_done {
        let event = engine.next_phase(&present, &mut rng).expect("next round");
        engine.apply(&event);
    }
    (engine, present)
}

fn hand_out(c: &mut Criterion) {
    let mut group = c.benchmark_group("hand_out_round");
    group.sample_size(20);
    for cards in [1_400u32, 14_000, 100_000] {
        let (engine, present) = hall(cards, 2);
        group.bench_function(format!("{cards} cards, steady"), |b| {
            let mut rng = StdRng::seed_from_u64(1);
            b.iter(|| black_box(engine.hand_out_round(3, black_box(&present), &mut rng)));
        });
        // One in ten away this round: the repair hands their cards to whoever can take them.
        let churned: Vec<Pid> = present.iter().copied().filter(|pid| pid.0 % 10 != 0).collect();
        group.bench_function(format!("{cards} cards, 10% away"), |b| {
            let mut rng = StdRng::seed_from_u64(1);
            b.iter(|| black_box(engine.hand_out_round(3, black_box(&churned), &mut rng)));
        });
    }
    // The first round also draws the random order.
    let (engine, present) = hall(100_000, 0);
    group.bench_function("100000 cards, round 1", |b| {
        b.iter_batched(
            || StdRng::seed_from_u64(1),
            |mut rng| black_box(engine.hand_out_round(1, black_box(&present), &mut rng)),
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

fn encode_hand(c: &mut Criterion) {
    let hand = ServerMsg::Hand(Hand {
        round: 3,
        card: Some(CardText {
            id: CardId(1234),
            text: "Too many forms ask for the same data again and again".repeat(2),
        }),
        score: None,
    });
    c.bench_function("encode hand", |b| b.iter(|| black_box(black_box(&hand).encode())));
    // What the server does at a round's start: the frame made from the card it holds.
    let ServerMsg::Hand(Hand { round, card: Some(card), score }) = &hand else { return };
    c.bench_function("encode hand from borrowed parts", |b| {
        b.iter(|| {
            black_box(Hand::encode_from(*round, Some((card.id, black_box(card.text.as_str()))), *score))
        })
    });
}

criterion_group!(benches, hand_out, encode_hand);
criterion_main!(benches);
