//! Lean Coffee's rules as properties over random halls with zones and random commands: the dot
//! budget, merging, the ranking and extension rules, tables independent of each other, replay,
//! and a clock that never spins.

use proptest::prelude::*;

use super::*;

/// One thing that can happen; numbers pick among what exists at the time.
#[derive(Debug, Clone)]
enum Step {
    Next,
    /// A step back (vote → collect, collect → lobby) where one is allowed.
    Back,
    /// Forward again after a step back, if one was taken.
    Return,
    /// Someone not yet at a table arrives (or a phone comes back).
    Arrive(usize),
    Leave(usize),
    AddTopic(usize),
    DeleteTopic(usize, u32),
    Merge(Option<usize>, u32, u32),
    Dots(usize, u32, u32),
    NextTopic(Option<usize>, u32, bool),
    Thumb(usize, u8),
    Extend(u32),
    Reset(u32),
    AddItem(Option<usize>, u32, Option<usize>),
    DeleteItem(Option<usize>, u32),
    Hide(usize),
    /// Time passes, in tenths of a second, then whatever is due expires.
    Wait(u32),
}

fn who() -> impl Strategy<Value = Option<usize>> {
    prop::option::weighted(0.8, any::<usize>())
}

fn merge() -> BoxedStrategy<Step> {
    (who(), any::<u32>(), any::<u32>()).prop_map(|(who, topic, into)| Step::Merge(who, topic, into)).boxed()
}

fn arrive() -> BoxedStrategy<Step> {
    any::<usize>().prop_map(Step::Arrive).boxed()
}

/// What people do while collecting.
fn collecting() -> BoxedStrategy<Step> {
    prop_oneof![
        6 => any::<usize>().prop_map(Step::AddTopic),
        1 => (any::<usize>(), any::<u32>()).prop_map(|(pid, topic)| Step::DeleteTopic(pid, topic)),
        3 => merge(),
        1 => arrive(),
    ]
    .boxed()
}

/// What people do while voting.
fn voting() -> BoxedStrategy<Step> {
    prop_oneof![
        8 => (any::<usize>(), any::<u32>(), 0..4u32).prop_map(|(pid, topic, count)| Step::Dots(pid, topic, count)),
        2 => merge(),
        1 => arrive(),
    ]
    .boxed()
}

/// What tables and facilitators do while discussing, and the clock.
fn discussing() -> BoxedStrategy<Step> {
    prop_oneof![
        3 => (who(), 0..5u32, any::<bool>()).prop_map(|(who, table, stale)| Step::NextTopic(who, table, stale)),
        6 => (any::<usize>(), 0..5u8).prop_map(|(pid, thumb)| Step::Thumb(pid, thumb)),
        1 => (0..5u32).prop_map(Step::Extend),
        1 => (0..5u32).prop_map(Step::Reset),
        2 => (who(), 0..5u32, prop::option::of(any::<usize>())).prop_map(|(who, table, owner)| Step::AddItem(who, table, owner)),
        1 => (who(), any::<u32>()).prop_map(|(who, item)| Step::DeleteItem(who, item)),
        1 => any::<usize>().prop_map(Step::Hide),
        1 => any::<usize>().prop_map(Step::Leave),
        1 => arrive(),
        5 => (0..400u32).prop_map(Step::Wait),
    ]
    .boxed()
}

/// Anything at all, at any time, the facilitator's moves too.
fn anything() -> BoxedStrategy<Step> {
    prop_oneof![1 => Just(Step::Back), 1 => Just(Step::Return), 3 => collecting(), 3 => voting(), 4 => discussing()]
        .boxed()
}

/// A Lean Coffee from the lobby to done, each phase mostly what belongs to it and now and then
/// anything else (a step back and forward again, a request of another phase).
fn steps() -> impl Strategy<Value = Vec<Step>> {
    let phase = |focus: BoxedStrategy<Step>, most: usize| {
        prop::collection::vec(prop_oneof![8 => focus, 1 => anything()], 0..most)
    };
    (
        prop::collection::vec(anything(), 0..4),
        phase(collecting(), 50),
        phase(voting(), 80),
        phase(discussing(), 120),
        prop::collection::vec(anything(), 0..10),
    )
        .prop_map(|(lobby, collect, vote, discuss, done)| {
            let mut steps = lobby;
            for phase in [collect, vote, discuss, done] {
                steps.push(Step::Next);
                steps.extend(phase);
            }
            steps
        })
}

/// Each person's zone; `None` sits at the table named "".
fn hall() -> impl Strategy<Value = Vec<Option<u8>>> {
    prop::collection::vec(prop::option::weighted(0.85, 0..4u8), 1..24)
}

fn config() -> impl Strategy<Value = LeanCoffeeConfig> {
    (1..4u32, 1..5u32, prop::option::of(1..3u32), prop::collection::vec(10..30u32, 1..5), 5..10u32).prop_map(
        |(max_topics, dots, max_dots_per_topic, timeboxes, vote_seconds)| LeanCoffeeConfig {
            max_topics,
            max_chars: 40,
            dots,
            max_dots_per_topic,
            timeboxes,
            vote_seconds,
        },
    )
}

fn pid(index: usize) -> Pid {
    Pid(index as u32 + 1)
}

/// Everything that belongs to one table: its own state, its topics and its items.
fn table_state(lc: &LeanCoffee, table: u32) -> (Table, Vec<Topic>, Vec<ActionItem>) {
    let at = lc.table(table).expect("table").clone();
    let topics = lc.topics().iter().filter(|topic| topic.table == table).cloned().collect();
    let items = lc.items().iter().filter(|item| item.table == table).cloned().collect();
    (at, topics, items)
}

/// The rules that hold in every state.
fn check_invariants(lc: &LeanCoffee, people: usize) -> Result<(), TestCaseError> {
    let config = lc.config();
    for index in 0..people {
        let pid = pid(index);
        let on_topics: u32 = lc.topics().iter().map(|topic| topic.dots.get(&pid).copied().unwrap_or(0)).sum();
        prop_assert_eq!(lc.spent(pid), on_topics, "{}'s dots are counted once", pid);
        prop_assert!(lc.spent(pid) <= config.dots, "{} spent {} of {}", pid, lc.spent(pid), config.dots);
    }
    for topic in lc.topics() {
        prop_assert_eq!(topic.total, topic.dots.values().sum::<u32>());
        if !topic.is_live() {
            prop_assert!(topic.dots.is_empty(), "{} is gone but holds dots", topic.id);
        }
        if topic.merged.is_empty() {
            // Only merging may put more than the cap of one person's dots on one topic.
            for (pid, &count) in &topic.dots {
                prop_assert!(count <= config.per_topic(), "{} has {} of {}'s dots", topic.id, count, pid);
                prop_assert!(count > 0);
            }
        }
        prop_assert_eq!(lc.seat(topic.author), Some(topic.table), "a topic belongs to its author's table");
    }
    for (index, table) in lc.tables().iter().enumerate() {
        for &member in &table.members {
            prop_assert_eq!(lc.seat(member), Some(index as u32));
        }
        if let Some(vote) = &table.vote {
            prop_assert_eq!(Some(vote.topic), table.current, "a vote is on the current topic");
            prop_assert!(!vote.voters.is_empty());
            prop_assert!(vote.thumbs.keys().all(|pid| vote.voters.contains(pid)));
            prop_assert!(vote.thumbs.len() < vote.voters.len(), "a vote everyone is in on has closed");
        }
        if lc.stage() == Stage::Discuss {
            prop_assert_eq!(table.current.is_some(), table.ends_ms.is_some());
            prop_assert!(table.timebox < config.timeboxes.len());
        } else {
            prop_assert!(table.vote.is_none() && table.current.is_none());
        }
    }
    Ok(())
}

/// The ranking rule: live topics by dots, ties to the earlier topic, each table's first one
/// started at once with the first timebox.
fn check_ranking(lc: &LeanCoffee, at_ms: u64) -> Result<(), TestCaseError> {
    for table in lc.tables() {
        let mut live: Vec<&Topic> =
            table.topics.iter().filter_map(|&id| lc.topic(id)).filter(|topic| topic.is_live()).collect();
        live.sort_by(|a, b| b.total.cmp(&a.total).then(a.id.cmp(&b.id)));
        let expected: Vec<TopicId> = live.iter().map(|topic| topic.id).collect();
        prop_assert_eq!(&table.ranked, &expected);
        for pair in table.ranked.windows(2) {
            let (first, second) = (&lc.topics()[pair[0].index()], &lc.topics()[pair[1].index()]);
            prop_assert!(first.total > second.total || (first.total == second.total && first.id < second.id));
        }
        prop_assert_eq!(table.current, expected.first().copied());
        let first = u64::from(lc.config().timeboxes[0]) * 1000;
        prop_assert_eq!(table.ends_ms, table.current.map(|_| at_ms + first));
        prop_assert_eq!(lc.finished(table), expected.is_empty());
    }
    Ok(())
}

/// The extension rule, for a vote that just closed at `at_ms` at `table`.
fn check_vote_closed(
    before: &LeanCoffee,
    after: &LeanCoffee,
    table: u32,
    at_ms: u64,
) -> Result<(), TestCaseError> {
    let (was, is) = (before.table(table).expect("table"), after.table(table).expect("table"));
    let vote = was.vote.as_ref().expect("a vote was open");
    let (up, _, down) = vote.counts();
    let outcome = is.last_vote.expect("the outcome is shown");
    prop_assert_eq!(outcome.extended, up > down);
    prop_assert!(is.vote.is_none());
    prop_assert_eq!(is.closed_votes.last(), Some(vote));
    if up > down {
        let timebox = (was.timebox + 1).min(before.config().timeboxes.len() - 1);
        prop_assert_eq!(is.current, was.current);
        prop_assert_eq!(is.timebox, timebox);
        prop_assert_eq!(is.ends_ms, Some(at_ms + u64::from(before.config().timeboxes[timebox]) * 1000));
        let topic = was.current.expect("current").index();
        prop_assert_eq!(after.topics()[topic].extended, before.topics()[topic].extended + 1);
    } else {
        prop_assert_ne!(is.current, was.current, "the table moved on");
        prop_assert!(after.topics()[was.current.expect("current").index()].discussed);
    }
    Ok(())
}

/// Applies `events`, checking each rule the event concerns, and keeps them (through JSON, as
/// the store does) in `log`.
fn apply_all(
    lc: &mut LeanCoffee,
    events: Vec<LeanCoffeeEvent>,
    log: &mut Vec<LeanCoffeeEvent>,
) -> Result<(), TestCaseError> {
    for event in events {
        let before = lc.clone();
        lc.apply(&event);
        match &event {
            LeanCoffeeEvent::TopicMerged { topic, into } => {
                // Every dot of both, exactly once, on the topic merged into.
                let (from, to) = (&before.topics()[topic.index()], &before.topics()[into.index()]);
                let merged = &lc.topics()[into.index()];
                prop_assert_eq!(merged.total, from.total + to.total);
                for pid in from.dots.keys().chain(to.dots.keys()) {
                    let expected = from.dots.get(pid).unwrap_or(&0) + to.dots.get(pid).unwrap_or(&0);
                    prop_assert_eq!(merged.dots.get(pid).copied().unwrap_or(0), expected);
                    prop_assert_eq!(lc.spent(*pid), before.spent(*pid));
                }
                prop_assert!(lc.topics()[topic.index()].dots.is_empty());
                prop_assert!(merged.merged.contains(topic));
            }
            LeanCoffeeEvent::Moved { stage: Stage::Discuss, at_ms, .. } => check_ranking(lc, *at_ms)?,
            LeanCoffeeEvent::VoteClosed { table, at_ms } => check_vote_closed(&before, lc, *table, *at_ms)?,
            _ => {}
        }
        let stored = serde_json::to_string(&event).expect("events serialize");
        log.push(serde_json::from_str(&stored).expect("events deserialize"));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_table_keeps_its_rules_on_its_own(
        zones in hall(),
        config in config(),
        steps in steps(),
    ) {
        let people = zones.len();
        let zone = |index: usize| zones[index].map(|zone| format!("Zone {zone}"));
        let mut lc = LeanCoffee::new(config);
        let mut log = Vec::new();
        let mut now: u64 = 1_000_000;
        // Steps back taken and not yet returned from.
        let mut behind = 0;
        // Who is connected, in pid order; a third of the hall arrives later.
        let mut present: Vec<Pid> = (0..people).filter(|index| index % 3 != 2).map(pid).collect();
        let seats = |present: &[Pid]| -> Vec<(Pid, String)> {
            present.iter().map(|&pid| (pid, zone(pid.index() - 1).unwrap_or_default())).collect()
        };
        let table_name = |lc: &LeanCoffee, table: u32| lc.table(table).map(|at| at.name.clone());
        for step in steps {
            now += 37;
            let person = |pick: usize| pid(pick % people);
            let who = |pick: Option<usize>| pick.map_or(Who::Facilitator, |pick| Who::Member(person(pick)));
            // Ids among those that exist, and now and then one that does not.
            let topic = |lc: &LeanCoffee, pick: u32| TopicId(pick % (lc.topics().len() as u32 + 1));
            // Mostly a topic of `table`, so that merges and dots find their own table's.
            let near = |lc: &LeanCoffee, table: Option<u32>, pick: u32| {
                let ids = table.and_then(|table| lc.table(table)).map(|at| at.topics.as_slice()).unwrap_or_default();
                let at = (pick % (ids.len() as u32 + 1)) as usize;
                ids.get(at).copied().unwrap_or_else(|| topic(lc, pick / 7))
            };
            let item = |lc: &LeanCoffee, pick: u32| ItemId(pick % (lc.items().len() as u32 + 1));
            let pick_table = |lc: &LeanCoffee, pick: u32| {
                (!lc.tables().is_empty()).then(|| pick % lc.tables().len() as u32)
            };
            let decided: Result<Vec<LeanCoffeeEvent>, Refusal> = match step {
                Step::Next => lc.next_phase(&seats(&present), now).map(|event| vec![event]),
                Step::Back => {
                    let back = lc.step_back().map(|event| vec![event]);
                    behind += usize::from(back.is_ok());
                    back
                }
                Step::Return => {
                    if behind == 0 {
                        continue;
                    }
                    behind -= 1;
                    lc.next_phase(&seats(&present), now).map(|event| vec![event])
                }
                Step::Arrive(pick) => {
                    let pid = person(pick);
                    if let Err(at) = present.binary_search(&pid) {
                        present.insert(at, pid);
                    }
                    Ok(lc.seat_for(pid, zone(pid.index() - 1).as_deref()).into_iter().collect())
                }
                Step::Leave(pick) => {
                    present.retain(|&pid| pid != person(pick));
                    continue;
                }
                Step::AddTopic(pick) => lc.add_topic(person(pick), &format!("topic at {now}")).map(|event| vec![event]),
                Step::DeleteTopic(pick, id) => lc.delete_topic(person(pick), topic(&lc, id)).map(|event| vec![event]),
                Step::Merge(pick, id, into) => {
                    let table = match who(pick) {
                        Who::Member(pid) => lc.seat(pid),
                        Who::Facilitator => pick_table(&lc, id),
                    };
                    lc.merge(who(pick), near(&lc, table, id / 5), near(&lc, table, into))
                }.map(|event| vec![event]),
                Step::Dots(pick, id, count) => {
                    lc.set_dots(person(pick), near(&lc, lc.seat(person(pick)), id), count).map(|event| event.into_iter().collect())
                }
                Step::NextTopic(pick, table, stale) => {
                    let who = who(pick);
                    let table = match who {
                        Who::Member(pid) => lc.seat(pid),
                        Who::Facilitator => pick_table(&lc, table),
                    };
                    let current = table.and_then(|table| lc.table(table)).and_then(|at| at.current);
                    let from = if stale { current.map(|TopicId(id)| TopicId(id + 1)) } else { current };
                    let name = table.and_then(|table| table_name(&lc, table));
                    let decided = lc.next_topic(who, name.as_deref(), from, now);
                    if stale && current.is_some() {
                        prop_assert_eq!(decided.clone().map_err(|refusal| refusal.code), Err(ErrorCode::Stale));
                    }
                    decided.map(|event| vec![event])
                }
                Step::Thumb(pick, thumb) => {
                    // Tables lean towards going on, so that extensions happen.
                    let thumb = [Thumb::Up, Thumb::Up, Thumb::Up, Thumb::Sideways, Thumb::Down][usize::from(thumb)];
                    lc.thumb(person(pick), thumb, now)
                }
                Step::Extend(table) => {
                    let Some(name) = pick_table(&lc, table).and_then(|table| table_name(&lc, table)) else { continue };
                    lc.extend(&name, now).map(|event| vec![event])
                }
                Step::Reset(table) => {
                    let Some(name) = pick_table(&lc, table).and_then(|table| table_name(&lc, table)) else { continue };
                    lc.reset_timebox(&name, now).map(|event| vec![event])
                }
                Step::AddItem(pick, table, owner) => {
                    let name = pick_table(&lc, table).and_then(|table| table_name(&lc, table));
                    let named = if pick.is_some() { None } else { name.as_deref() };
                    lc.add_item(who(pick), named, &format!("do {now}"), owner.map(person)).map(|event| vec![event])
                }
                Step::DeleteItem(pick, id) => lc.delete_item(who(pick), item(&lc, id)).map(|event| vec![event]),
                Step::Hide(pick) => Ok(lc.hide_author(person(pick)).into_iter().collect()),
                Step::Wait(tenths) => {
                    now += u64::from(tenths) * 100;
                    let events = lc.expire(now, &present);
                    apply_all(&mut lc, events, &mut log)?;
                    // The clock never spins: whatever was due has moved past now.
                    prop_assert!(lc.due().is_none_or(|due| due > now), "due {:?} at {}", lc.due(), now);
                    check_invariants(&lc, people)?;
                    continue;
                }
            };
            let Ok(events) = decided else {
                // A refusal changes nothing: there is nothing to apply.
                continue;
            };
            // Commands at one table change no other table.
            let one_table = !matches!(step, Step::Next | Step::Back | Step::Return);
            let before: Vec<_> = (0..lc.tables().len() as u32).map(|table| table_state(&lc, table)).collect();
            apply_all(&mut lc, events, &mut log)?;
            if one_table {
                let changed = before
                    .iter()
                    .enumerate()
                    .filter(|(table, state)| table_state(&lc, *table as u32) != **state)
                    .count();
                prop_assert!(changed <= 1, "{:?} changed {} tables", step, changed);
            }
            check_invariants(&lc, people)?;
        }
        let mut replayed = LeanCoffee::new(lc.config().clone());
        for event in &log {
            replayed.apply(event);
        }
        prop_assert_eq!(&replayed, &lc);
    }

    /// Merging keeps every dot exactly once: each person's dots on the topic merged into are
    /// theirs on both, however merges chain, and nobody's budget moves.
    #[test]
    fn merging_keeps_every_dot_once(
        people in 2..12usize,
        topics in 2..10usize,
        dots in prop::collection::vec((any::<usize>(), any::<usize>(), 1..4u32), 0..60),
        merges in prop::collection::vec((any::<usize>(), any::<usize>()), 1..12),
    ) {
        let config = LeanCoffeeConfig { max_topics: 10, dots: 6, max_dots_per_topic: Some(3), ..LeanCoffeeConfig::default() };
        let mut lc = LeanCoffee::new(config);
        let mut log = Vec::new();
        let seats: Vec<(Pid, String)> = (0..people).map(|index| (pid(index), "T".to_owned())).collect();
        let moved = lc.next_phase(&seats, 0).expect("collect");
        apply_all(&mut lc, vec![moved], &mut log)?;
        for index in 0..topics {
            let added = lc.add_topic(pid(index % people), &format!("topic {index}")).expect("added");
            apply_all(&mut lc, vec![added], &mut log)?;
        }
        let moved = lc.next_phase(&seats, 0).expect("vote");
        apply_all(&mut lc, vec![moved], &mut log)?;
        for (who, topic, count) in dots {
            if let Ok(Some(event)) = lc.set_dots(pid(who % people), TopicId((topic % topics) as u32), count) {
                apply_all(&mut lc, vec![event], &mut log)?;
            }
        }
        let budgets: Vec<u32> = (0..people).map(|index| lc.spent(pid(index))).collect();
        let all: u32 = lc.topics().iter().map(|topic| topic.total).sum();
        for (topic, into) in merges {
            let (topic, into) = (TopicId((topic % topics) as u32), TopicId((into % topics) as u32));
            if let Ok(event) = lc.merge(Who::Member(pid(0)), topic, into) {
                apply_all(&mut lc, vec![event], &mut log)?;
            }
            prop_assert_eq!(lc.topics().iter().map(|topic| topic.total).sum::<u32>(), all);
            for (index, &budget) in budgets.iter().enumerate() {
                prop_assert_eq!(lc.spent(pid(index)), budget);
            }
            check_invariants(&lc, people)?;
        }
    }

    /// However late the clock is looked at, after the events of `expire` nothing is still due:
    /// a table's timebox, a vote, the next topic's timebox are all set from now.
    #[test]
    fn the_clock_never_spins(
        zones in hall(),
        config in config(),
        topics in prop::collection::vec(any::<usize>(), 0..30),
        waits in prop::collection::vec(0..100_000u64, 1..40),
        away in prop::collection::vec(any::<bool>(), 24),
    ) {
        let people = zones.len();
        let mut lc = LeanCoffee::new(config);
        let mut log = Vec::new();
        let seats: Vec<(Pid, String)> =
            (0..people).map(|index| (pid(index), zones[index].map(|z| z.to_string()).unwrap_or_default())).collect();
        let mut now = 5_000;
        let moved = lc.next_phase(&seats, now).expect("collect");
        apply_all(&mut lc, vec![moved], &mut log)?;
        for pick in topics {
            if let Ok(event) = lc.add_topic(pid(pick % people), "a topic") {
                apply_all(&mut lc, vec![event], &mut log)?;
            }
        }
        let moved = lc.next_phase(&seats, now).expect("vote");
        apply_all(&mut lc, vec![moved], &mut log)?;
        let moved = lc.next_phase(&seats, now).expect("discuss");
        apply_all(&mut lc, vec![moved], &mut log)?;
        let present: Vec<Pid> = (0..people).filter(|&index| !away[index]).map(pid).collect();
        for wait in waits {
            now += wait;
            let events = lc.expire(now, &present);
            prop_assert_eq!(events.is_empty(), lc.due().is_none_or(|due| due > now));
            apply_all(&mut lc, events, &mut log)?;
            prop_assert!(lc.due().is_none_or(|due| due > now), "due {:?} at {}", lc.due(), now);
            check_invariants(&lc, people)?;
        }
    }
}

/// A refusal's code, or none.
fn refused<T>(result: Result<T, Refusal>) -> Option<ErrorCode> {
    result.err().map(|refusal| refusal.code)
}

/// Two tables through a whole Lean Coffee, each refusal checked on the way.
#[test]
fn a_table_votes_extends_and_moves_on_by_its_rules() {
    let config = LeanCoffeeConfig {
        max_topics: 2,
        max_chars: 20,
        dots: 3,
        max_dots_per_topic: Some(2),
        timeboxes: vec![60, 30],
        vote_seconds: 10,
    };
    let mut lc = LeanCoffee::new(config);
    let mut log: Vec<LeanCoffeeEvent> = Vec::new();
    macro_rules! apply {
        (event $event:expr) => {{
            let event: LeanCoffeeEvent = $event;
            lc.apply(&event);
            log.push(event);
        }};
        ($decided:expr) => {{
            apply!(event $decided.expect("allowed"))
        }};
    }
    let (a1, a2, a3, b1) = (Pid(1), Pid(2), Pid(3), Pid(4));
    let seats: Vec<(Pid, String)> =
        vec![(a1, "A".into()), (a2, "A".into()), (a3, "A".into()), (b1, "B".into())];
    assert_eq!(refused(lc.add_topic(a1, "early")), Some(ErrorCode::WrongPhase));
    assert_eq!(lc.seat_for(a1, Some("A")), None, "nobody is seated in the lobby");
    apply!(lc.next_phase(&seats, 0));
    assert_eq!(lc.table(0).map(|table| table.members.clone()), Some(vec![a1, a2, a3]));
    apply!(lc.add_topic(a1, "t0 of A"));
    apply!(lc.add_topic(a1, "t1 of A"));
    assert_eq!(refused(lc.add_topic(a1, "one too many")), Some(ErrorCode::TooMany));
    assert_eq!(refused(lc.add_topic(a2, " ")), Some(ErrorCode::EmptyText));
    assert_eq!(refused(lc.add_topic(a2, &"x".repeat(21))), Some(ErrorCode::TextTooLong));
    apply!(lc.add_topic(a2, "t2 of A"));
    apply!(lc.add_topic(b1, "t3 of B"));
    assert_eq!(refused(lc.delete_topic(a2, TopicId(0))), Some(ErrorCode::Forbidden));
    assert_eq!(refused(lc.merge(Who::Member(a1), TopicId(0), TopicId(3))), Some(ErrorCode::OtherTable));
    assert_eq!(refused(lc.merge(Who::Facilitator, TopicId(0), TopicId(3))), Some(ErrorCode::BadMerge));
    assert_eq!(refused(lc.merge(Who::Member(a1), TopicId(0), TopicId(0))), Some(ErrorCode::BadMerge));
    assert_eq!(refused(lc.merge(Who::Member(a1), TopicId(0), TopicId(9))), Some(ErrorCode::UnknownItem));
    assert_eq!(refused(lc.set_dots(a1, TopicId(0), 1)), Some(ErrorCode::WrongPhase));
    apply!(lc.next_phase(&seats, 0));
    apply!(lc.set_dots(a1, TopicId(2), 2).map(|event| event.expect("a change")));
    assert_eq!(refused(lc.set_dots(a1, TopicId(2), 3)), Some(ErrorCode::TooMany), "per topic");
    assert_eq!(refused(lc.set_dots(a1, TopicId(1), 2)), Some(ErrorCode::TooMany), "in all");
    assert_eq!(refused(lc.set_dots(a1, TopicId(3), 1)), Some(ErrorCode::OtherTable));
    apply!(lc.set_dots(a1, TopicId(1), 1).map(|event| event.expect("a change")));
    apply!(lc.set_dots(a2, TopicId(1), 2).map(|event| event.expect("a change")));
    apply!(lc.set_dots(a3, TopicId(0), 2).map(|event| event.expect("a change")));
    assert_eq!(lc.set_dots(a3, TopicId(0), 2), Ok(None), "no change");
    // t1 (1 + 2) into t2 (2): a1 now has three dots on t2, over the cap of two; that is fine.
    apply!(lc.merge(Who::Member(a2), TopicId(1), TopicId(2)));
    assert_eq!(lc.topic(TopicId(2)).map(|topic| topic.total), Some(5));
    assert_eq!(lc.topic(TopicId(2)).and_then(|topic| topic.dots.get(&a1).copied()), Some(3));
    assert_eq!(refused(lc.merge(Who::Member(a2), TopicId(1), TopicId(0))), Some(ErrorCode::BadMerge));
    assert_eq!(refused(lc.merge(Who::Member(a2), TopicId(0), TopicId(1))), Some(ErrorCode::BadMerge));
    assert_eq!(refused(lc.thumb(a1, Thumb::Up, 0)), Some(ErrorCode::NoVote));
    // Back to collecting: the dots stay; forward again.
    apply!(lc.step_back());
    assert_eq!(lc.spent(a1), 3);
    assert_eq!(refused(lc.delete_topic(a2, TopicId(2))), Some(ErrorCode::BadMerge), "t1 lives on in it");
    apply!(lc.next_phase(&seats, 0));
    apply!(lc.next_phase(&seats, 1_000));
    assert_eq!(refused(lc.step_back()), Some(ErrorCode::WrongPhase));
    let a = lc.table(0).expect("A").clone();
    assert_eq!(a.ranked, vec![TopicId(2), TopicId(0)], "t2 (5 dots) before t0 (2)");
    assert_eq!((a.current, a.ends_ms), (Some(TopicId(2)), Some(61_000)));
    assert_eq!(lc.due(), Some(61_000));
    assert_eq!(
        refused(lc.next_topic(Who::Member(a1), None, Some(TopicId(0)), 2_000)),
        Some(ErrorCode::Stale)
    );
    assert_eq!(
        refused(lc.next_topic(Who::Facilitator, Some("C"), None, 2_000)),
        Some(ErrorCode::UnknownItem)
    );
    assert_eq!(refused(lc.add_item(Who::Member(a1), None, "do it", Some(b1))), Some(ErrorCode::OtherTable));
    apply!(lc.add_item(Who::Member(a1), None, "do it", Some(a2)));
    assert_eq!(refused(lc.delete_item(Who::Member(a2), ItemId(0))), Some(ErrorCode::Forbidden));
    // The first timebox ends with a3 away: a1 and a2 vote, and the vote closes when both have.
    let events = lc.expire(61_000, &[a1, a2, b1]);
    assert_eq!(events.len(), 2, "A votes and B, with one timebox left, votes too: {events:?}");
    for event in events {
        apply!(event event);
    }
    assert_eq!(refused(lc.thumb(a3, Thumb::Up, 62_000)), Some(ErrorCode::NoVote), "not a voter");
    let events = lc.thumb(a1, Thumb::Up, 62_000).expect("thumb");
    assert_eq!(events.len(), 1);
    events.into_iter().for_each(|event| apply!(event event));
    assert_eq!(lc.thumb(a1, Thumb::Up, 62_000).map(|events| events.len()), Ok(0), "the same again");
    let events = lc.thumb(a2, Thumb::Sideways, 63_000).expect("thumb");
    assert!(matches!(events.last(), Some(LeanCoffeeEvent::VoteClosed { table: 0, at_ms: 63_000 })));
    events.into_iter().for_each(|event| apply!(event event));
    let a = lc.table(0).expect("A").clone();
    assert_eq!((a.current, a.timebox, a.ends_ms), (Some(TopicId(2)), 1, Some(93_000)), "extended by 30 s");
    // The last timebox ends: no vote, the next topic starts.
    // B's vote, open since then, closes with nobody in: not extended, and B has nothing left.
    let events = lc.expire(93_000, &[a1, a2, b1]);
    assert!(
        matches!(
            events.as_slice(),
            [LeanCoffeeEvent::TopicEnded { table: 0, .. }, LeanCoffeeEvent::VoteClosed { table: 1, .. }]
        ),
        "{events:?}"
    );
    events.into_iter().for_each(|event| apply!(event event));
    assert_eq!(lc.table(0).and_then(|a| a.current), Some(TopicId(0)));
    assert!(lc.finished(lc.table(1).expect("B")));
    // The facilitator extends twice (the last timebox again) and resets; a double tap moves once.
    apply!(lc.extend("A", 100_000));
    apply!(lc.extend("A", 100_000));
    assert_eq!(lc.topic(TopicId(0)).map(|topic| topic.extended), Some(2));
    apply!(lc.reset_timebox("A", 110_000));
    assert_eq!(lc.table(0).and_then(|a| a.ends_ms), Some(140_000));
    apply!(lc.next_topic(Who::Member(a3), None, Some(TopicId(0)), 120_000));
    assert_eq!(
        refused(lc.next_topic(Who::Member(a2), None, Some(TopicId(0)), 120_000)),
        Some(ErrorCode::Stale)
    );
    assert!(lc.finished(lc.table(0).expect("A")));
    assert_eq!(lc.due(), None);
    apply!(lc.next_phase(&seats, 130_000));
    assert_eq!(refused(lc.step_back()), Some(ErrorCode::WrongPhase));
    assert_eq!(refused(lc.next_phase(&seats, 130_000)), Some(ErrorCode::WrongPhase));
    let mut replayed = LeanCoffee::new(lc.config().clone());
    log.iter().for_each(|event| replayed.apply(event));
    assert_eq!(replayed, lc);
}

/// A timebox that ends with nobody connected (the server has just come back, the phones are on
/// their way) still asks the table: every member may vote.
#[test]
fn a_timebox_ending_with_nobody_connected_asks_every_member() {
    let config =
        LeanCoffeeConfig { timeboxes: vec![60, 30], vote_seconds: 10, ..LeanCoffeeConfig::default() };
    let mut lc = LeanCoffee::new(config);
    let (a1, a2) = (Pid(1), Pid(2));
    let seats: Vec<(Pid, String)> = vec![(a1, "A".into()), (a2, "A".into())];
    let event = lc.next_phase(&seats, 0).expect("collect");
    lc.apply(&event);
    let event = lc.add_topic(a1, "Fewer meetings").expect("added");
    lc.apply(&event);
    let event = lc.next_phase(&seats, 0).expect("vote");
    lc.apply(&event);
    let event = lc.next_phase(&seats, 0).expect("discuss");
    lc.apply(&event);
    let events = lc.expire(60_000, &[]);
    assert!(
        matches!(events.as_slice(), [LeanCoffeeEvent::VoteOpened { table: 0, closes_ms: 70_000, voters }] if *voters == vec![a1, a2]),
        "{events:?}"
    );
}
