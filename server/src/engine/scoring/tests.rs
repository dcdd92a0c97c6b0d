//! The scoring rules of PROTOCOL.md as properties over random halls: random sizes, writers
//! and non-writers, people leaving, coming back and joining late, at any round.

use std::collections::{BTreeSet, HashMap, HashSet};

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;

/// One hall's story, drawn by proptest; the details come from `seed`.
#[derive(Debug, Clone)]
struct Hall {
    size: usize,
    rounds: u32,
    /// Percent of the starting hall who write no card.
    non_writers: u32,
    /// Whether anyone leaves, returns or joins late.
    churn: bool,
    /// Percent of holders who do not score their hand in a round.
    idle: u32,
    seed: u64,
}

fn hall() -> impl Strategy<Value = Hall> {
    (
        prop_oneof![2..=12usize, 13..=200usize, 201..=2_000usize],
        1..=7u32,
        prop_oneof![Just(0u32), 0..=60u32],
        any::<bool>(),
        prop_oneof![Just(0u32), 0..=40u32],
        any::<u64>(),
    )
        .prop_map(|(size, rounds, non_writers, churn, idle, seed)| Hall {
            size,
            rounds,
            non_writers,
            churn,
            idle,
            seed,
        })
}

/// What the test itself saw happen, kept apart from the engine's own bookkeeping.
#[derive(Default)]
struct Witness {
    handed: HashMap<Pid, Vec<CardId>>,
    scores: HashMap<CardId, Vec<u8>>,
    events: Vec<ScoringEvent>,
}

/// Runs `hall` through a whole activity, checking every round's hand-out against the rules.
fn run(hall: &Hall) -> Result<(), TestCaseError> {
    let mut rng = StdRng::seed_from_u64(hall.seed);
    let config = ScoringConfig { rounds: hall.rounds, top: 10, max_chars: 280 };
    let mut engine = Scoring::new(config);
    let mut witness = Witness::default();
    let step = |engine: &mut Scoring, witness: &mut Witness, event: ScoringEvent| {
        engine.apply(&event);
        witness.events.push(event);
    };

    let mut present: BTreeSet<Pid> = (1..=hall.size as u32).map(Pid).collect();
    let mut gone: BTreeSet<Pid> = BTreeSet::new();
    let mut next_pid = hall.size as u32 + 1;
    let mut late: HashSet<Pid> = HashSet::new();

    let opened = engine.next_phase(&[], &mut rng).map_err(|err| TestCaseError::fail(err.to_string()))?;
    step(&mut engine, &mut witness, opened);
    let mut authors: HashMap<CardId, Pid> = HashMap::new();
    for &pid in &present {
        if rng.random_range(0..100) >= hall.non_writers {
            let event = engine
                .write(pid, &format!("card of {pid}"))
                .map_err(|err| TestCaseError::fail(err.to_string()))?;
            if let ScoringEvent::CardWritten { card, .. } = &event {
                authors.insert(*card, pid);
            }
            step(&mut engine, &mut witness, event);
        }
    }
    let writers = authors.len();

    for round in 1..=hall.rounds {
        if hall.churn {
            for pid in present.clone() {
                if rng.random_range(0..100) < 10 {
                    present.remove(&pid);
                    gone.insert(pid);
                }
            }
            for pid in gone.clone() {
                if rng.random_range(0..100) < 30 {
                    gone.remove(&pid);
                    present.insert(pid);
                }
            }
            for _ in 0..rng.random_range(0..=hall.size / 10 + 1) {
                present.insert(Pid(next_pid));
                late.insert(Pid(next_pid));
                next_pid += 1;
            }
        }
        let counts_before: HashMap<CardId, u32> =
            engine.cards().iter().map(|card| (card.id, card.count())).collect();
        let held_before: HashMap<Pid, usize> =
            present.iter().map(|&pid| (pid, witness.handed.get(&pid).map_or(0, Vec::len))).collect();
        let present_list: Vec<Pid> = present.iter().copied().collect();
        let started =
            engine.next_phase(&present_list, &mut rng).map_err(|err| TestCaseError::fail(err.to_string()))?;
        let ScoringEvent::RoundStarted { round: started_round, hands, .. } = &started else {
            return Err(TestCaseError::fail(format!("round {round} did not start: {started:?}")));
        };
        prop_assert_eq!(*started_round, round);
        let hands = hands.clone();
        step(&mut engine, &mut witness, started);

        // Rule 3: a card in at most one hand, a hand holds at most one card.
        let holders: HashSet<Pid> = hands.iter().map(|&(pid, _)| pid).collect();
        let handed_cards: HashSet<CardId> = hands.iter().map(|&(_, card)| card).collect();
        prop_assert_eq!(holders.len(), hands.len(), "someone holds two cards in round {}", round);
        prop_assert_eq!(handed_cards.len(), hands.len(), "a card is in two hands in round {}", round);
        let eligible = |pid: Pid, card: CardId, witness: &Witness| {
            authors.get(&card) != Some(&pid)
                && !witness.handed.get(&pid).is_some_and(|seen| seen.contains(&card))
        };
        for &(pid, card) in &hands {
            prop_assert!(present.contains(&pid), "{} is not here but holds {}", pid, card);
            // Rule 1: never your own card. Rule 2: never the same card twice.
            prop_assert_ne!(authors.get(&card), Some(&pid), "{} got their own card", pid);
            prop_assert!(eligible(pid, card, &witness), "{} got {} a second time", pid, card);
        }

        // Rule 5: fewest scores first. No free card could go to a free holder, nor replace a
        // handed card with more scores in its holder's hand.
        let hand_of: HashMap<Pid, CardId> = hands.iter().copied().collect();
        let free_holders: Vec<Pid> =
            present.iter().copied().filter(|pid| !hand_of.contains_key(pid)).collect();
        let free_cards: Vec<CardId> =
            authors.keys().copied().filter(|card| !handed_cards.contains(card)).collect();
        for &card in &free_cards {
            for &pid in &free_holders {
                prop_assert!(
                    !eligible(pid, card, &witness),
                    "{} was left out though free {} could take it",
                    card,
                    pid
                );
            }
            for &(pid, other) in &hands {
                if counts_before[&other] > counts_before[&card] {
                    prop_assert!(
                        !eligible(pid, card, &witness),
                        "{} ({} scores) was handed before {} ({} scores) to {}",
                        other,
                        counts_before[&other],
                        card,
                        counts_before[&card],
                        pid
                    );
                }
            }
        }
        // Rule 6: people who wrote nothing or came late still score: nobody free could take
        // the card of someone who has held two more.
        for &pid in &free_holders {
            for &(other, card) in &hands {
                if held_before[&other] > held_before[&pid] + 1 {
                    prop_assert!(
                        !eligible(pid, card, &witness),
                        "{} (held {}) sat out while {} (held {}) got {}",
                        pid,
                        held_before[&pid],
                        other,
                        held_before[&other],
                        card
                    );
                }
            }
        }

        // People who arrive after the hand-out get a free card, fewest scores first.
        let mut hands = hands;
        if hall.churn {
            let mut in_hand = handed_cards.clone();
            for _ in 0..rng.random_range(0..=2) {
                let pid = Pid(next_pid);
                next_pid += 1;
                present.insert(pid);
                late.insert(pid);
                let Some(event) = engine.late_hand(pid) else {
                    for card in authors.keys().filter(|card| !in_hand.contains(card)) {
                        prop_assert!(
                            !eligible(pid, *card, &witness) || engine.card(*card).is_some_and(|c| c.hidden)
                        );
                    }
                    continue;
                };
                let ScoringEvent::CardHanded { round: late_round, card, .. } = event else {
                    return Err(TestCaseError::fail(format!("not a late hand: {event:?}")));
                };
                prop_assert_eq!(late_round, round);
                prop_assert!(eligible(pid, card, &witness), "late {} got {} it may not hold", pid, card);
                prop_assert!(in_hand.insert(card), "late {} got {}, already in a hand", pid, card);
                for other in authors
                    .keys()
                    .filter(|other| !in_hand.contains(other) && eligible(pid, **other, &witness))
                {
                    prop_assert!(
                        counts_before[other] >= counts_before[&card],
                        "late hand {} before {}",
                        card,
                        other
                    );
                }
                hands.push((pid, card));
                step(&mut engine, &mut witness, event);
            }
        }
        for &(pid, card) in &hands {
            witness.handed.entry(pid).or_default().push(card);
        }
        for &(pid, card) in &hands {
            if rng.random_range(0..100) < hall.idle {
                continue;
            }
            let first = Score::new(rng.random_range(1..=5)).expect("1..=5 is a score");
            let event =
                engine.score(pid, round, card, first).map_err(|err| TestCaseError::fail(err.to_string()))?;
            step(&mut engine, &mut witness, event);
            let mut kept = first;
            if rng.random_range(0..4) == 0 {
                // A changed mind replaces the score; it is never counted twice.
                kept = Score::new(rng.random_range(1..=5)).expect("1..=5 is a score");
                let event = engine
                    .score(pid, round, card, kept)
                    .map_err(|err| TestCaseError::fail(err.to_string()))?;
                step(&mut engine, &mut witness, event);
            }
            witness.scores.entry(card).or_default().push(kept.get());
        }
    }
    let finished = engine.next_phase(&[], &mut rng).map_err(|err| TestCaseError::fail(err.to_string()))?;
    prop_assert_eq!(&finished, &ScoringEvent::ResultsReached);
    step(&mut engine, &mut witness, finished);

    // Every score counted once, and the leaderboard is their sum.
    for card in engine.cards() {
        let given = witness.scores.get(&card.id).map_or(&[][..], Vec::as_slice);
        prop_assert_eq!(card.count() as usize, given.len(), "{} count", card.id);
        prop_assert_eq!(card.total, given.iter().map(|&s| u32::from(s)).sum::<u32>(), "{} total", card.id);
    }

    // Rule 4: with steady membership, n ≥ rounds + 1, all writing and all scoring, every card
    // ends with exactly `rounds` scores.
    if !hall.churn && hall.idle == 0 && writers == hall.size && hall.size > hall.rounds as usize {
        for card in engine.cards() {
            prop_assert_eq!(card.count(), hall.rounds, "{} in a steady hall", card.id);
        }
    }

    // The ranking orders by mean, then count, with unscored cards last.
    let ranking = engine.ranking();
    for pair in ranking.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let mean = |e: &LeaderboardEntry| (e.count > 0).then(|| f64::from(e.total) / f64::from(e.count));
        prop_assert!(
            match (mean(a), mean(b)) {
                (Some(x), Some(y)) => x > y || (x == y && a.count >= b.count),
                (Some(_), None) | (None, None) => true,
                (None, Some(_)) => false,
            },
            "{:?} ranked above {:?}",
            a,
            b
        );
        prop_assert!(a.rank <= b.rank);
    }

    // Replaying the events rebuilds the same state without drawing a random number.
    let mut replayed = Scoring::new(config);
    for event in &witness.events {
        replayed.apply(event);
    }
    prop_assert_eq!(replayed, engine);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn hand_outs_keep_the_scoring_rules(hall in hall()) {
        run(&hall)?;
    }
}

/// A hall of `size` who all write, with the given late joiners and non-writers; returns how
/// many cards each of those held by the end.
fn held_by(size: u32, non_writers: &[u32], late: &[(u32, u32)], seed: u64) -> HashMap<Pid, usize> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut engine = Scoring::new(ScoringConfig::default());
    engine.apply(&ScoringEvent::WritingOpened);
    for pid in (1..=size).filter(|pid| !non_writers.contains(pid)) {
        let event = engine.write(Pid(pid), "text").expect("writing is open");
        engine.apply(&event);
    }
    let mut present: Vec<Pid> = (1..=size).map(Pid).collect();
    for round in 1..=engine.config().rounds {
        present.extend(late.iter().filter(|&&(_, joins)| joins == round).map(|&(pid, _)| Pid(pid)));
        let event = engine.next_phase(&present, &mut rng).expect("rounds go on");
        engine.apply(&event);
        let hands: Vec<(Pid, CardId)> = engine.hands().collect();
        for (pid, card) in hands {
            let event = engine.score(pid, round, card, Score::new(3).expect("score")).expect("in hand");
            engine.apply(&event);
        }
    }
    present.iter().map(|&pid| (pid, engine.seen(pid).len())).collect()
}

#[test]
fn non_writers_and_late_joiners_score() {
    for seed in 0..20 {
        let held = held_by(30, &[7], &[(31, 3)], seed);
        assert_eq!(held[&Pid(7)], 5, "seed {seed}: the one non-writer scores every round");
        assert!(held[&Pid(31)] >= 2, "seed {seed}: a joiner in round 3 held {}", held[&Pid(31)]);
        let held = held_by(12, &[1, 2, 3], &[(13, 2), (14, 2)], seed);
        for pid in [1, 2, 3] {
            assert!(held[&Pid(pid)] >= 3, "seed {seed}: non-writer p{pid} held {}", held[&Pid(pid)]);
        }
        assert!(held[&Pid(13)] + held[&Pid(14)] >= 3, "seed {seed}: late joiners held too little");
    }
}

/// Commands in the wrong phase or on the wrong card are refused with their code.
#[test]
fn refusals() {
    let mut rng = StdRng::seed_from_u64(1);
    let check = |result: Result<ScoringEvent, Refusal>, code: ErrorCode| {
        assert_eq!(result.map_err(|refusal| refusal.code), Err(code));
    };
    let three = Score::new(3).expect("score");
    let mut engine = Scoring::new(ScoringConfig { rounds: 2, top: 10, max_chars: 10 });
    check(engine.write(Pid(1), "early"), ErrorCode::WrongPhase);
    engine.apply(&ScoringEvent::WritingOpened);
    check(engine.write(Pid(1), "   "), ErrorCode::EmptyText);
    check(engine.write(Pid(1), "eleven char"), ErrorCode::TextTooLong);
    check(engine.score(Pid(1), 1, CardId(1), three), ErrorCode::WrongPhase);
    check(engine.reveal(3, None), ErrorCode::WrongPhase);
    for pid in 1..=4 {
        let event = engine.write(Pid(pid), &format!("card {pid}")).expect("writing");
        engine.apply(&event);
    }
    // Writing again replaces the text and keeps the id.
    let rewrite = engine.write(Pid(2), "new").expect("writing");
    assert_eq!(rewrite, ScoringEvent::CardWritten { pid: Pid(2), card: CardId(2), text: "new".into() });
    let present: Vec<Pid> = (1..=4).map(Pid).collect();
    let event = engine.next_phase(&present, &mut rng).expect("round 1");
    engine.apply(&event);
    check(engine.write(Pid(1), "late"), ErrorCode::WrongPhase);
    let (held, _) = engine.hand(Pid(1)).map(|(card, score)| (card.id, score)).expect("p1 holds a card");
    let other = (1..=4).map(CardId).find(|&card| card != held && card != CardId(1)).expect("another card");
    check(engine.score(Pid(1), 1, CardId(1), three), ErrorCode::OwnCard);
    check(engine.score(Pid(1), 1, other, three), ErrorCode::NotYourCard);
    check(engine.score(Pid(1), 2, held, three), ErrorCode::WrongPhase);
    check(engine.score(Pid(1), 1, CardId(99), three), ErrorCode::UnknownItem);
    check(engine.hide(CardId(99), true), ErrorCode::UnknownItem);
    let event = engine.score(Pid(1), 1, held, three).expect("in hand");
    engine.apply(&event);
    let event = engine.next_phase(&present, &mut rng).expect("round 2");
    engine.apply(&event);
    check(engine.score(Pid(1), 1, held, three), ErrorCode::WrongPhase);
    let event = engine.next_phase(&present, &mut rng).expect("results");
    assert_eq!(event, ScoringEvent::ResultsReached);
    engine.apply(&event);
    check(engine.next_phase(&present, &mut rng), ErrorCode::WrongPhase);
    assert_eq!(engine.reveal(3, None), Ok(ScoringEvent::Revealed { count: 3, shown: None }));
}

#[test]
fn hiding_a_card_takes_it_out_of_hand_and_ranking() {
    let mut rng = StdRng::seed_from_u64(2);
    let mut engine = Scoring::new(ScoringConfig::default());
    engine.apply(&ScoringEvent::WritingOpened);
    for pid in 1..=8 {
        let event = engine.write(Pid(pid), "x").expect("writing");
        engine.apply(&event);
    }
    let present: Vec<Pid> = (1..=8).map(Pid).collect();
    let event = engine.next_phase(&present, &mut rng).expect("round 1");
    engine.apply(&event);
    let (holder, card) = engine.hands().next().expect("someone holds a card");
    engine.apply(&engine.hide(card, true).expect("known card"));
    assert!(engine.hand(holder).is_none());
    assert!(engine.ranking().iter().all(|entry| entry.card != card));
    assert_eq!(engine.hidden_cards().len(), 1);
    for round in 2..=5 {
        let event = engine.next_phase(&present, &mut rng).expect("next round");
        engine.apply(&event);
        assert!(engine.hands().all(|(_, held)| held != card), "round {round} handed a hidden card");
    }
}

/// Ranks: higher mean first, then more scores; equal cards share a rank.
#[test]
fn ranking_orders_by_mean_then_count() {
    let mut engine = Scoring::new(ScoringConfig::default());
    engine.apply(&ScoringEvent::WritingOpened);
    for pid in 1..=5 {
        engine.apply(&ScoringEvent::CardWritten { pid: Pid(pid), card: CardId(pid), text: format!("{pid}") });
    }
    let mut give = |card: u32, scores: &[u8]| {
        for (holder, &score) in scores.iter().enumerate() {
            engine.apply(&ScoringEvent::CardScored {
                round: holder as u32 + 1,
                pid: Pid(100 + holder as u32),
                card: CardId(card),
                score: Score::new(score).expect("score"),
            });
        }
    };
    give(1, &[4, 4]); // mean 4, 2 scores
    give(2, &[4, 4, 4]); // mean 4, 3 scores: above card 1
    give(3, &[5, 1, 1]); // mean 2.33
    give(5, &[4, 4]); // same as card 1: shares its rank
    let ranking: Vec<(u32, u32, u32)> =
        engine.ranking().iter().map(|entry| (entry.rank, entry.card.0, entry.total)).collect();
    assert_eq!(ranking, vec![(1, 2, 12), (2, 1, 8), (2, 5, 8), (4, 3, 7), (5, 4, 0)]);
}

/// Someone in the round-1 cycle who never held a card and then left must not upset later
/// hand-outs (they are in the cycle but nowhere else).
#[test]
fn a_non_writer_who_never_held_a_card_can_leave() {
    for seed in 0..50 {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut engine = Scoring::new(ScoringConfig { rounds: 3, top: 10, max_chars: 50 });
        engine.apply(&ScoringEvent::WritingOpened);
        let event = engine.write(Pid(1), "the only card").expect("writing");
        engine.apply(&event);
        let everyone: Vec<Pid> = (1..=6).map(Pid).collect();
        let event = engine.next_phase(&everyone, &mut rng).expect("round 1");
        engine.apply(&event);
        let idle: Vec<Pid> = everyone.iter().copied().filter(|&pid| engine.hand(pid).is_none()).collect();
        let staying: Vec<Pid> = everyone.iter().copied().filter(|pid| !idle.contains(pid)).collect();
        for round in 2..=3 {
            let event = engine.next_phase(&staying, &mut rng).expect("next round");
            engine.apply(&event);
            assert!(engine.hands().all(|(pid, _)| staying.contains(&pid)), "seed {seed} round {round}");
        }
    }
}

/// A hall part-way through: `rounds_played` rounds (0: still writing; past the last:
/// results), with random writers, scores, late joiners and a hidden card or two.
fn played(hall: &Hall, rounds_played: u32, rng: &mut StdRng) -> (Scoring, Vec<Pid>) {
    let mut engine = Scoring::new(ScoringConfig { rounds: hall.rounds, top: 10, max_chars: 280 });
    engine.apply(&ScoringEvent::WritingOpened);
    let mut present: Vec<Pid> = (1..=hall.size as u32).map(Pid).collect();
    for &pid in &present {
        if rng.random_range(0..100) >= hall.non_writers {
            let event = engine.write(pid, &format!("card of {pid}")).expect("writing is open");
            engine.apply(&event);
        }
    }
    for _ in 0..rounds_played.min(hall.rounds + 1) {
        if hall.churn {
            present.retain(|_| rng.random_range(0..100) >= 10);
            present.push(Pid(present.last().map_or(1, |pid| pid.0 + 1)));
        }
        let event = engine.next_phase(&present, rng).expect("moves on");
        engine.apply(&event);
        score_some(&mut engine, hall.idle, rng);
        if hall.churn
            && let Some(card) = engine.cards().get(rng.random_range(0..engine.cards().len().max(1)))
        {
            let event = engine.hide(card.id, rng.random_bool(0.5)).expect("known card");
            engine.apply(&event);
        }
    }
    (engine, present)
}

/// Every holder of the open round scores, but `idle` percent of them; some late hands too.
fn score_some(engine: &mut Scoring, idle: u32, rng: &mut StdRng) {
    let Stage::Round { round } = engine.stage() else { return };
    let hands: Vec<(Pid, CardId)> = engine.hands().collect();
    for (pid, card) in hands {
        if rng.random_range(0..100) >= idle {
            let score = Score::new(rng.random_range(1..=5)).expect("1..=5");
            let event = engine.score(pid, round, card, score).expect("a hand is scored");
            engine.apply(&event);
        }
    }
    let late = Pid(10_000 + rng.random_range(0..5));
    if let Some(event) = engine.late_hand(late) {
        engine.apply(&event);
    }
}

proptest! {
    /// The facilitator's undo: moving on and then stepping back leaves the activity exactly as
    /// it was (the round reopened with its hands and scores), whatever was scored in the step
    /// undone; and a hand-out after the step back keeps the rules.
    #[test]
    fn a_step_back_reopens_the_step_before_as_it_was(hall in hall(), played_rounds in 0..=8u32) {
        let mut rng = StdRng::seed_from_u64(hall.seed);
        let (mut engine, present) = played(&hall, played_rounds, &mut rng);
        prop_assume!(engine.stage() != Stage::Results);
        let before = engine.clone();

        let next = engine.next_phase(&present, &mut rng).expect("moves on");
        engine.apply(&next);
        score_some(&mut engine, hall.idle, &mut rng);
        let back = engine.step_back().expect("a step to go back from");
        engine.apply(&back);
        prop_assert_eq!(&engine.holders.len(), &before.holders.len());
        for (index, (a, b)) in engine.holders.iter().zip(&before.holders).enumerate() {
            prop_assert_eq!(a, b, "holder {}", index);
        }
        prop_assert_eq!(&engine.cards, &before.cards);
        prop_assert_eq!(&engine.closed, &before.closed);
        prop_assert_eq!(&engine.handed_in, &before.handed_in);
        prop_assert_eq!(&engine, &before);

        // Forward again: the step undone is played anew under the same rules.
        let again = engine.next_phase(&present, &mut rng).expect("moves on");
        engine.apply(&again);
        for (pid, card) in engine.hands() {
            prop_assert_ne!(engine.card(card).map(|card| card.author), Some(pid), "own card");
            let seen = engine.seen(pid);
            prop_assert_eq!(seen.iter().filter(|&&held| held == card).count(), 1, "{} held {} twice", pid, card);
        }
    }

    /// From the results, a step back reopens the last round and takes back the reveal.
    #[test]
    fn a_step_back_from_the_results_reopens_the_last_round(hall in hall()) {
        let mut rng = StdRng::seed_from_u64(hall.seed);
        let (mut engine, present) = played(&hall, hall.rounds, &mut rng);
        let before = engine.clone();
        let results = engine.next_phase(&present, &mut rng).expect("results");
        engine.apply(&results);
        let reveal = engine.reveal(3, Some(1)).expect("results are in");
        engine.apply(&reveal);
        engine.apply(&engine.step_back().expect("back to the last round"));
        prop_assert_eq!(engine.revealed(), 0);
        prop_assert_eq!(&engine, &before);
    }
}

/// Only a round or the results can be stepped back from.
#[test]
fn nothing_to_step_back_to_before_the_first_round() {
    let mut engine = Scoring::new(ScoringConfig::default());
    assert_eq!(engine.step_back().map_err(|refusal| refusal.code), Err(ErrorCode::WrongPhase));
    engine.apply(&ScoringEvent::WritingOpened);
    assert_eq!(engine.step_back().map_err(|refusal| refusal.code), Err(ErrorCode::WrongPhase));
}
