//! The grouping rules of PROTOCOL.md as properties over random halls: sizes from 1 to 3,000,
//! random zones, people arriving late.

use std::collections::{BTreeMap, HashMap, HashSet};

use lapp_protocol::GroupingConfig;
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;

fn config(sizes: &[u32]) -> GroupingConfig {
    GroupingConfig { sizes: sizes.to_vec(), max_chars: 280 }
}

/// Runs a hall of `people` (pid, zone) through solo and every level, with `late` arriving
/// during each level, checking the rules as it goes. Returns the engine at the poster.
fn run(
    sizes: &[u32],
    people: &[(Pid, Option<String>)],
    late: &[Vec<(Pid, Option<String>)>],
    seed: u64,
) -> Result<Grouping, TestCaseError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut engine = Grouping::new(config(sizes));
    let mut log = Vec::new();
    let mut step = |engine: &mut Grouping, event: GroupingEvent| {
        engine.apply(&event);
        log.push(event);
    };
    let opened = engine.next_phase(people, &mut rng).map_err(|e| TestCaseError::fail(e.to_string()))?;
    step(&mut engine, opened);
    // Some write alone, a few twice.
    for (pid, _) in people {
        for _ in 0..[0, 0, 1, 2][rng.random_range(0..4)] {
            let event = engine.add_note(*pid, "alone").map_err(|e| TestCaseError::fail(e.to_string()))?;
            step(&mut engine, event);
        }
    }
    let zone_of: HashMap<Pid, Option<String>> =
        people.iter().chain(late.iter().flatten()).map(|(pid, zone)| (*pid, zone.clone())).collect();

    for level in 1..=sizes.len() as u32 {
        let started = engine.next_phase(people, &mut rng).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let started_level = match &started {
            GroupingEvent::LevelStarted { level, .. } => Some(*level),
            _ => None,
        };
        prop_assert_eq!(started_level, Some(level));
        step(&mut engine, started);
        let size = sizes[level as usize - 1] as usize;
        let groups: Vec<Group> = engine.groups_at(level).cloned().collect();

        // Labels (made from the index) are unique within the level.
        let indexes: HashSet<u32> = groups.iter().map(|group| group.index).collect();
        prop_assert_eq!(indexes.len(), groups.len());

        // Everyone who was there is in exactly one group of the level.
        let mut placed: HashMap<Pid, GroupId> = HashMap::new();
        for group in &groups {
            for pid in &group.members {
                prop_assert!(
                    placed.insert(*pid, group.id).is_none(),
                    "{} is in two groups at level {}",
                    pid,
                    level
                );
            }
        }
        if level == 1 {
            prop_assert_eq!(placed.len(), people.len());
            // Never a group of one, unless the hall is one person.
            for group in &groups {
                prop_assert!(group.members.len() >= 2 || people.len() == 1, "a group of one at level 1");
            }
            // Inside each zone of two or more: as many groups as the target size calls for,
            // within one of each other in size; someone alone in their zone joins another.
            let mut zones: BTreeMap<Option<String>, Vec<Pid>> = BTreeMap::new();
            for (pid, zone) in people {
                zones.entry(zone.clone()).or_default().push(*pid);
            }
            let mixing = zones.values().all(|zone| zone.len() == 1);
            for (zone, members) in &zones {
                let own: Vec<&Group> = groups.iter().filter(|group| &group.zone == zone).collect();
                if members.len() >= 2 {
                    prop_assert_eq!(own.len(), group_count(members.len(), size), "zone {:?}", zone);
                    let counts: Vec<usize> = own
                        .iter()
                        .map(|group| group.members.iter().filter(|pid| &zone_of[*pid] == zone).count())
                        .collect();
                    let (least, most) = (counts.iter().min(), counts.iter().max());
                    prop_assert!(
                        most.zip(least).is_some_and(|(m, l)| m - l <= 1),
                        "uneven zone {:?}: {:?}",
                        zone,
                        counts
                    );
                }
            }
            for group in &groups {
                for pid in &group.members {
                    let zone = &zone_of[pid];
                    prop_assert!(
                        zone == &group.zone || mixing || zones[zone].len() == 1,
                        "{} of zone {:?} was mixed into {:?} though not alone",
                        pid,
                        zone,
                        group.zone
                    );
                }
            }
        } else {
            // Later levels merge whole groups of the level before, inside their zone.
            let earlier: Vec<&Group> = engine.groups_at(level - 1).collect();
            let mut merged_into: HashMap<GroupId, GroupId> = HashMap::new();
            for group in &groups {
                prop_assert!(!group.merged.is_empty());
                let mut members: Vec<Pid> = Vec::new();
                for id in &group.merged {
                    prop_assert!(merged_into.insert(*id, group.id).is_none(), "{} merged twice", id);
                    let before = engine.group(*id).expect("merged group exists");
                    prop_assert_eq!(&before.zone, &group.zone);
                    members.extend(&before.members);
                }
                prop_assert_eq!(&members, &group.members, "{} is not exactly its merged groups", group.id);
                prop_assert!(group.members.len() >= 2 || people.len() + late.iter().flatten().count() <= 1);
            }
            prop_assert_eq!(merged_into.len(), earlier.len(), "every earlier group goes on");
        }

        // People arriving now go into the smallest group of their zone.
        for (pid, zone) in &late[level as usize - 1] {
            let Some(event) = engine.late_join(*pid, zone.as_deref()) else {
                return Err(TestCaseError::fail(format!("{pid} was not placed")));
            };
            match &event {
                GroupingEvent::MemberJoined { group, .. } => {
                    let chosen = engine.group(*group).expect("exists").members.len();
                    let in_zone: Vec<usize> = engine
                        .groups_at(level)
                        .filter(|g| &g.zone == zone)
                        .map(|g| g.members.len())
                        .collect();
                    let anywhere: Vec<usize> = engine.groups_at(level).map(|g| g.members.len()).collect();
                    let smallest = in_zone.iter().min().or(anywhere.iter().min()).copied();
                    prop_assert_eq!(Some(chosen), smallest, "{} did not join the smallest group", pid);
                }
                GroupingEvent::GroupOpened { .. } => prop_assert_eq!(engine.groups_at(level).count(), 0),
                other => return Err(TestCaseError::fail(format!("unexpected {other:?}"))),
            }
            step(&mut engine, event);
            prop_assert!(engine.group_of(*pid, level).is_some());
            prop_assert_eq!(engine.late_join(*pid, zone.as_deref()), None, "placed twice");
        }

        // Some notes, some stars, so later levels have something to bring in.
        let members: Vec<Pid> = engine.groups_at(level).flat_map(|g| g.members.clone()).collect();
        for pid in members.iter().filter(|_| rng.random_range(0..4) == 0) {
            let event = engine.add_note(*pid, "an idea").map_err(|e| TestCaseError::fail(e.to_string()))?;
            step(&mut engine, event);
            let group = engine.group_of(*pid, level).expect("in a group").clone();
            if let Some(shown) = engine.shown(&group).first().map(|shown| shown.note.id) {
                if let Some(event) =
                    engine.star(*pid, shown, true).map_err(|e| TestCaseError::fail(e.to_string()))?
                {
                    step(&mut engine, event);
                }
                prop_assert_eq!(engine.star(*pid, shown, true), Ok(None), "a second star changes nothing");
            }
        }
        // The odd note hidden.
        if !engine.notes().is_empty() && rng.random_range(0..3) == 0 {
            let note = NoteId(rng.random_range(1..=engine.notes().len() as u32));
            let event = engine.hide(note, true).map_err(|e| TestCaseError::fail(e.to_string()))?;
            step(&mut engine, event);
        }
        // What each group sees is rule 7, read off every note of the hall.
        for group in engine.groups_at(level) {
            let shown: Vec<(NoteId, Option<GroupId>)> =
                engine.shown(group).iter().map(|shown| (shown.note.id, shown.from)).collect();
            prop_assert_eq!(shown, shown_by_the_rule(&engine, group), "{} shows other notes", group.id);
        }
    }
    let poster = engine.next_phase(people, &mut rng).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&poster, &GroupingEvent::PosterReached);
    step(&mut engine, poster);

    let mut replayed = Grouping::new(config(sizes));
    for event in &log {
        replayed.apply(event);
    }
    prop_assert_eq!(&replayed, &engine);
    Ok(engine)
}

/// Rule 7 read straight off every note of the hall: at level 1 the members' notes written
/// alone; at later levels the notes of each merged group starred there; then the notes
/// written in the group; never a hidden one.
fn shown_by_the_rule(engine: &Grouping, group: &Group) -> Vec<(NoteId, Option<GroupId>)> {
    let mut shown = Vec::new();
    if group.level == 1 {
        for member in &group.members {
            let alone = engine.notes().iter().filter(|note| note.level == 0 && note.author == *member);
            shown.extend(alone.filter(|note| !note.hidden).map(|note| (note.id, None)));
        }
    } else {
        for merged in group.merged.iter().filter_map(|&id| engine.group(id)) {
            for (id, _) in shown_by_the_rule(engine, merged) {
                if engine.note(id).is_some_and(|note| note.stars_at(merged.level) > 0) {
                    shown.push((id, Some(merged.id)));
                }
            }
        }
    }
    let written = engine.notes().iter().filter(|note| note.group == Some(group.id) && !note.hidden);
    shown.extend(written.map(|note| (note.id, None)));
    shown
}

fn hall() -> impl Strategy<Value = (Vec<u32>, usize, u32, u64, usize)> {
    (
        prop_oneof![Just(vec![3, 9]), Just(vec![3, 6]), Just(vec![2, 4]), Just(vec![3])],
        prop_oneof![1..=12usize, 13..=300usize, 301..=3_000usize],
        prop_oneof![Just(0u32), 1..=4u32, 5..=60u32],
        any::<u64>(),
        0..=5usize,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn groups_keep_the_grouping_rules((sizes, n, zones, seed, late_each) in hall()) {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
        let zone = |rng: &mut StdRng| (zones > 0).then(|| format!("Z{}", rng.random_range(0..zones)));
        let people: Vec<(Pid, Option<String>)> = (1..=n as u32).map(|pid| (Pid(pid), zone(&mut rng))).collect();
        let mut next = n as u32 + 1;
        let late: Vec<Vec<(Pid, Option<String>)>> = sizes
            .iter()
            .map(|_| {
                (0..late_each)
                    .map(|_| {
                        next += 1;
                        (Pid(next - 1), zone(&mut rng))
                    })
                    .collect()
            })
            .collect();
        run(&sizes, &people, &late, seed)?;
    }
}

/// Group sizes from the rules' own examples.
#[test]
fn sizes_near_the_target_and_never_one() {
    let check = |people: usize, size: usize, expected: &[usize]| {
        let count = group_count(people, size);
        let items: Vec<usize> = (0..people).collect();
        let sizes: Vec<usize> = split_evenly(&items, count).map(<[usize]>::len).collect();
        assert_eq!(sizes, expected, "{people} people at {size}");
    };
    check(7, 3, &[4, 3]);
    check(4, 3, &[4]);
    check(2, 3, &[2]);
    check(9, 3, &[3, 3, 3]);
    check(5, 2, &[3, 2]);
    check(3, 2, &[3]);
    check(1, 3, &[1]);
    check(23, 3, &[3, 3, 3, 3, 3, 3, 3, 2]);
}

fn zoned(zones: &[(&str, u32)]) -> Vec<(Pid, Option<String>)> {
    let mut people = Vec::new();
    for (zone, count) in zones {
        for _ in 0..*count {
            people.push((Pid(people.len() as u32 + 1), Some(zone.to_string())));
        }
    }
    people
}

#[test]
fn someone_alone_in_their_zone_joins_another_and_levels_merge_whole_groups() {
    for seed in 0..20 {
        let people = zoned(&[("A", 10), ("B", 1), ("C", 2)]);
        let engine = run(&[3, 9], &people, &[vec![], vec![]], seed).expect("rules kept");
        let level_one: Vec<&Group> = engine.groups_at(1).collect();
        assert_eq!(
            level_one.iter().filter(|g| g.zone.as_deref() == Some("C")).count(),
            1,
            "C's two are a group"
        );
        let with_b = level_one.iter().find(|g| g.members.contains(&Pid(11))).expect("B is placed");
        assert_eq!(with_b.zone.as_deref(), Some("C"), "B joins the smallest group elsewhere: C's pair");
        assert_eq!(with_b.members.len(), 3);
        let level_two: Vec<&Group> = engine.groups_at(2).collect();
        assert_eq!(level_two.len(), 2, "A's groups merge into one of 10; C's (with B) goes on");
    }
}

#[test]
fn notes_travel_from_solo_to_level_one_and_starred_ones_onward_to_the_poster() {
    let mut rng = StdRng::seed_from_u64(3);
    let mut engine = Grouping::new(config(&[2, 4]));
    let people = zoned(&[("A", 4)]);
    let event = engine.next_phase(&people, &mut rng).expect("solo");
    engine.apply(&event);
    for (pid, _) in &people {
        let event = engine.add_note(*pid, &format!("solo of {pid}")).expect("solo note");
        engine.apply(&event);
    }
    assert_eq!(engine.add_note(Pid(1), "  ").map_err(|r| r.code), Err(ErrorCode::EmptyText));
    assert_eq!(engine.star(Pid(1), NoteId(1), true).map_err(|r| r.code), Err(ErrorCode::WrongPhase));
    let event = engine.next_phase(&people, &mut rng).expect("level 1");
    engine.apply(&event);
    let group = engine.group_of(Pid(1), 1).expect("grouped").clone();
    let shown: Vec<NoteId> = engine.shown(&group).iter().map(|s| s.note.id).collect();
    assert_eq!(shown.len(), 2, "each member brings their solo note");
    let other_group_note = (1..=4).map(NoteId).find(|id| !shown.contains(id)).expect("a note elsewhere");
    assert_eq!(engine.star(Pid(1), other_group_note, true).map_err(|r| r.code), Err(ErrorCode::UnknownItem));
    let event = engine.star(Pid(1), shown[0], true).expect("star").expect("changes");
    engine.apply(&event);
    let event = engine.add_note(Pid(1), "group idea").expect("group note");
    engine.apply(&event);
    let event = engine.next_phase(&people, &mut rng).expect("level 2");
    engine.apply(&event);
    let merged = engine.group_of(Pid(1), 2).expect("grouped").clone();
    let brought: Vec<(NoteId, Option<GroupId>)> =
        engine.shown(&merged).iter().map(|s| (s.note.id, s.from)).collect();
    assert_eq!(brought, vec![(shown[0], Some(group.id))], "only the starred note comes along");
    let event = engine.hide(shown[0], true).expect("hide");
    engine.apply(&event);
    assert!(engine.shown(&merged).is_empty(), "a hidden note leaves every view");
    assert_eq!(engine.hide(NoteId(99), true).map_err(|r| r.code), Err(ErrorCode::UnknownItem));
}

#[test]
fn a_level_opened_with_nobody_there_has_no_groups_until_someone_comes() {
    let mut rng = StdRng::seed_from_u64(5);
    let mut engine = Grouping::new(config(&[3, 9]));
    let event = engine.next_phase(&[], &mut rng).expect("solo");
    engine.apply(&event);
    let event = engine.next_phase(&[], &mut rng).expect("level 1");
    engine.apply(&event);
    assert_eq!(engine.groups_at(1).count(), 0);
    let event = engine.late_join(Pid(1), Some("A")).expect("placed");
    assert!(matches!(event, GroupingEvent::GroupOpened { .. }));
    engine.apply(&event);
    let event = engine.late_join(Pid(2), Some("B")).expect("placed");
    assert!(matches!(event, GroupingEvent::MemberJoined { .. }), "nobody is left alone: {event:?}");
}

/// Inside one zone, every group of a later level is of about its target size: between half
/// and one and a half times it, once the zone holds at least that many people.
#[test]
fn later_levels_inside_a_zone_are_of_about_their_size() {
    for (sizes, size) in [(&[3, 9][..], 9usize), (&[3, 6][..], 6), (&[2, 4][..], 4)] {
        for n in size as u32..=80 {
            for seed in 0..4 {
                let people = zoned(&[("A", n)]);
                let engine = run(sizes, &people, &[vec![], vec![]], seed).expect("rules kept");
                for group in engine.groups_at(2) {
                    let members = group.members.len();
                    assert!(
                        2 * members >= size && 2 * members <= 3 * size,
                        "{n} people at {sizes:?}: a level-2 group of {members}"
                    );
                }
            }
        }
    }
}
