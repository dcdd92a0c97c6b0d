//! The pairing rules as properties over random halls.

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::*;

/// A hall: who is in it (with a zone), who wrote, who is connected when pairing closes, and
/// which pairs chose each other by code.
/// Each person: wrote an action, is connected at the close, their zone.
type People = Vec<(bool, bool, Option<u8>)>;

fn hall() -> impl Strategy<Value = (People, Vec<(usize, usize)>, u64)> {
    (
        prop::collection::vec((any::<bool>(), prop::bool::weighted(0.8), prop::option::of(0..4u8)), 0..60),
        prop::collection::vec((any::<usize>(), any::<usize>()), 0..20),
        any::<u64>(),
    )
}

fn pid(index: usize) -> Pid {
    Pid(index as u32 + 1)
}

proptest! {
    /// When pairing closes, nobody who is connected and wrote an action is left alone if two
    /// or more such people exist; buddies are two, or three at most once per close; nobody is
    /// in two; zones are kept where they can be.
    #[test]
    fn closing_pairing_leaves_nobody_present_alone((people, chosen, seed) in hall()) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut actions = Actions::new(ActionsConfig::default());
        actions.apply(&actions.next_phase(&[], &mut rng).expect("writing"));
        for (index, &(wrote, _, _)) in people.iter().enumerate() {
            if wrote {
                let event = actions.write(pid(index), &format!("I will {index}"), &mut rng).expect("write").expect("new");
                actions.apply(&event);
            }
        }
        actions.apply(&actions.next_phase(&[], &mut rng).expect("pairing"));
        for &(a, b) in &chosen {
            let (a, b) = (pid(a % people.len().max(1)), pid(b % people.len().max(1)));
            let Some(code) = actions.code(b) else { continue };
            if let Ok(event) = actions.ask(a, &format!("{code:04}")) {
                actions.apply(&event);
                if let Ok(event) = actions.answer(b, a, true) {
                    actions.apply(&event);
                }
            }
        }
        let present: Vec<(Pid, Option<String>)> = people
            .iter()
            .enumerate()
            .filter(|(_, (_, connected, _))| *connected)
            .map(|(index, (_, _, zone))| (pid(index), zone.map(|zone| format!("zone {zone}"))))
            .collect();
        let before: Vec<Buddies> = actions.all_buddies().cloned().collect();
        let close = actions.next_phase(&present, &mut rng).expect("close");
        actions.apply(&close);

        let writers_present: Vec<Pid> =
            present.iter().map(|(pid, _)| *pid).filter(|&pid| actions.mine(pid).is_some()).collect();
        if writers_present.len() >= 2 {
            for &writer in &writers_present {
                prop_assert!(actions.has_buddy(writer), "{writer} was left alone");
            }
        }
        let mut seen = std::collections::HashSet::new();
        let mut trios = 0;
        for buddies in actions.all_buddies() {
            prop_assert!((2..=3).contains(&buddies.members.len()), "{:?}", buddies.members);
            trios += usize::from(buddies.members.len() == 3);
            for &member in &buddies.members {
                prop_assert!(seen.insert(member), "{member} has two sets of buddies");
                prop_assert!(actions.mine(member).is_some(), "{member} has no action");
            }
        }
        prop_assert!(trios <= 1);
        // Pairs chosen by code stay as they were, but for one who may have joined them.
        for chosen in &before {
            let (now, _) = actions.buddies_of(chosen.members[0]).expect("still buddies");
            prop_assert!(chosen.members.iter().all(|member| now.members.contains(member)));
            prop_assert!(!now.random);
        }
        // Two people alone in the same zone are paired with each other, not across zones.
        if let ActionsEvent::PairingClosed { formed, .. } = &close {
            let zone = |pid: Pid| present.iter().find(|(p, _)| *p == pid).and_then(|(_, z)| z.clone());
            let mut across = 0;
            for members in formed.iter().filter(|members| members.len() == 2) {
                across += usize::from(zone(members[0]) != zone(members[1]));
            }
            let mut zones: Vec<Option<String>> = formed.iter().flatten().map(|&pid| zone(pid)).collect();
            zones.sort();
            zones.dedup();
            // At most one person of each zone is left over for pairing across zones.
            prop_assert!(across <= zones.len());
        }

        // Someone who writes afterwards (a late joiner) gets a buddy whenever anyone else has one.
        let late = pid(people.len());
        let event = actions.write(late, "I will be late", &mut rng).expect("late write").expect("new");
        actions.apply(&event);
        let mut present = present;
        present.push((late, None));
        match actions.late_buddy(late, &present) {
            Some(event) => {
                actions.apply(&event);
                prop_assert!(actions.has_buddy(late));
            }
            None => prop_assert!(actions.all_buddies().next().is_none() && writers_present.is_empty()),
        }
    }

    /// Buddy codes are four digits and unique among everyone who wrote.
    #[test]
    fn buddy_codes_are_unique(writers in 1..300usize, seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut actions = Actions::new(ActionsConfig::default());
        actions.apply(&ActionsEvent::WritingOpened);
        actions.apply(&ActionsEvent::PairingOpened);
        let mut codes = std::collections::HashSet::new();
        for index in 0..writers {
            let event = actions.write(pid(index), "I will", &mut rng).expect("write").expect("new");
            actions.apply(&event);
            let code = actions.code(pid(index)).expect("a code while pairing");
            prop_assert!(code < 10_000);
            prop_assert!(codes.insert(code));
        }
    }
}

#[test]
fn requests_are_answered_once_and_by_their_rules() {
    let mut rng = StdRng::seed_from_u64(7);
    let mut actions = Actions::new(ActionsConfig::default());
    macro_rules! apply {
        ($event:expr) => {{
            let event = $event.expect("allowed");
            actions.apply(&event);
        }};
    }
    let code = |actions: &Actions, who: u32| format!("{:04}", actions.mine(Pid(who)).expect("wrote").code);
    assert_eq!(actions.ask(Pid(1), "0000").map_err(|r| r.code), Err(ErrorCode::WrongPhase));
    actions.apply(&ActionsEvent::WritingOpened);
    for who in 1..=4 {
        let event = actions.write(Pid(who), "I will ask", &mut rng).expect("write").expect("new");
        actions.apply(&event);
    }
    assert_eq!(actions.write(Pid(1), "I will ask", &mut rng).map(|event| event.is_some()), Ok(false));
    actions.apply(&ActionsEvent::PairingOpened);
    let refused = |result: Result<ActionsEvent, Refusal>| result.map_err(|refusal| refusal.code).err();
    assert_eq!(refused(actions.ask(Pid(1), &code(&actions, 1))), Some(ErrorCode::Yourself));
    assert_eq!(
        refused(actions.ask(Pid(5), &code(&actions, 1))),
        Some(ErrorCode::UnknownItem),
        "no action yet"
    );
    assert_eq!(refused(actions.ask(Pid(1), "12")), Some(ErrorCode::UnknownItem));
    apply!(actions.ask(Pid(1), &code(&actions, 2)));
    apply!(actions.withdraw(Pid(1)));
    assert_eq!(refused(actions.answer(Pid(2), Pid(1), true)), Some(ErrorCode::UnknownItem), "withdrawn");
    apply!(actions.ask(Pid(1), &code(&actions, 2)));
    apply!(actions.answer(Pid(2), Pid(1), false));
    assert_eq!(actions.asked(Pid(1)), None, "declined");
    apply!(actions.ask(Pid(3), &code(&actions, 2)));
    apply!(actions.ask(Pid(1), &code(&actions, 2)));
    assert_eq!(actions.asking(Pid(2)), vec![Pid(1), Pid(3)]);
    apply!(actions.answer(Pid(2), Pid(3), true));
    assert!(actions.has_buddy(Pid(2)) && actions.has_buddy(Pid(3)));
    assert_eq!(actions.asked(Pid(1)), None, "a request to someone who paired is over");
    assert_eq!(refused(actions.ask(Pid(1), &code(&actions, 2))), Some(ErrorCode::Taken));
    assert_eq!(refused(actions.ask(Pid(2), &code(&actions, 4))), Some(ErrorCode::Taken));
    // Asking someone who has asked you pairs you at once.
    apply!(actions.ask(Pid(4), &code(&actions, 1)));
    apply!(actions.ask(Pid(1), &code(&actions, 4)));
    assert!(actions.has_buddy(Pid(1)) && actions.has_buddy(Pid(4)));
    apply!(actions.undo(Pid(4)));
    assert!(!actions.has_buddy(Pid(1)) && !actions.has_buddy(Pid(4)));
    assert_eq!(refused(actions.undo(Pid(4))), Some(ErrorCode::UnknownItem));
}
