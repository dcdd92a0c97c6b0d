//! A 25/10 followed by a 1-3-9 over real sockets: 23 participants in three zones (one of
//! only two people), a facilitator and a screen, everyone staying connected from one activity
//! to the next. The grouping rules are checked on what the clients actually received.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use lapp_protocol::GroupingMsg;
use lapp_protocol::ScoringMsg;
use lapp_protocol::{
    ActivityKind, ClientMsg, GroupId, GroupView, Join, NoteId, Phase, Pid, PosterGroup, Role, ServerMsg,
};
use serde_json::json;
use support::{Client, TestServer, follow, held};

const ZONES: [(&str, usize); 3] = [("A", 12), ("B", 9), ("C", 2)];

struct Person {
    client: Client,
    pid: Pid,
    zone: &'static str,
    solo_note: NoteId,
}

async fn next_phase(facilitator: &mut Client) {
    let ack = facilitator.request(ClientMsg::PhaseNext { from: None }).await;
    assert!(ack.is_ok(), "phase.next refused: {ack:?}");
}

async fn phase(client: &mut Client, phase: Phase) {
    client.until(|msg| matches!(msg, ServerMsg::Activity(a) if a.phase == phase).then_some(())).await;
}

/// The group at `level` as it stands after the next frame that makes it satisfy `accept`.
async fn group(client: &mut Client, level: u32, accept: impl Fn(&GroupView) -> bool) -> GroupView {
    client.group_until(|group| group.level == level && accept(group)).await
}

fn pids(group: &GroupView) -> BTreeSet<Pid> {
    group.members.iter().map(|member| member.pid).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_25_10_then_a_1_3_9_in_three_zones() {
    let server = TestServer::start().await;
    let body = json!({
        "title": "Zoned day",
        "language": "en",
        "agenda": [
            {"kind": "scoring", "prompt": "What slows you down?", "rounds": 1},
            {"kind": "grouping", "prompt": "What do we do first?", "sizes": [3, 9]}
        ]
    });
    let (status, created) = server.post_session(&body.to_string()).await;
    assert_eq!(status, 201, "{created}");
    let created: lapp_protocol::SessionCreated = serde_json::from_value(created).expect("created");
    let code = created.code;
    let (mut facilitator, _) = server.join(code, Role::Facilitator, None, Some(&created.key)).await;
    let (mut screen, _) = server.join(code, Role::Screen, None, None).await;

    let mut people = Vec::new();
    for (zone, count) in ZONES {
        for i in 0..count {
            let mut client = server.connect().await;
            let welcome = client
                .join(Join {
                    name: Some(format!("{zone}{i}")),
                    zone: Some(zone.into()),
                    ..Join::new(code, Role::Participant)
                })
                .await
                .expect("join");
            let pid = welcome.you.pid.expect("pid");
            people.push(Person { client, pid, zone, solo_note: NoteId(0) });
        }
    }
    let zone_of: HashMap<Pid, &str> = people.iter().map(|p| (p.pid, p.zone)).collect();

    // A quick 25/10 first: one round.
    assert!(facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.is_ok());
    next_phase(&mut facilitator).await;
    for person in &mut people {
        assert!(
            person
                .client
                .request(ClientMsg::Scoring(ScoringMsg::CardWrite { text: format!("card {}", person.pid) }))
                .await
                .is_ok()
        );
    }
    next_phase(&mut facilitator).await;
    next_phase(&mut facilitator).await;

    // Then the 1-3-9, with everyone still connected.
    assert!(facilitator.request(ClientMsg::ActivityStart { index: 1, from: None }).await.is_ok());
    for person in &mut people {
        let activity = person
            .client
            .until(|msg| match msg {
                ServerMsg::Activity(a) if a.index == 1 => Some(a.clone()),
                _ => None,
            })
            .await;
        assert_eq!((activity.kind, activity.phase), (ActivityKind::Grouping, Phase::Lobby));
    }

    // Alone: everyone writes a note of their own.
    next_phase(&mut facilitator).await;
    for person in &mut people {
        phase(&mut person.client, Phase::Solo).await;
        let ack = person
            .client
            .request(ClientMsg::Grouping(GroupingMsg::NoteAdd { text: format!("idea of {}", person.pid) }))
            .await;
        let Ok(ServerMsg::Ack { note: Some(note), .. }) = ack else { panic!("note.add: {ack:?}") };
        person.solo_note = note;
    }

    // Level 1: groups of three inside each zone, bringing their members' notes.
    next_phase(&mut facilitator).await;
    let mut level_one: BTreeMap<GroupId, GroupView> = BTreeMap::new();
    for person in &mut people {
        let view = group(&mut person.client, 1, |_| true).await;
        assert!(pids(&view).contains(&person.pid), "{} got someone else's group", person.pid);
        if let Some(seen) = level_one.insert(view.id, view.clone()) {
            assert_eq!(pids(&seen), pids(&view), "members of {} disagree on who is in it", view.id);
        }
    }
    let mut sizes_by_zone: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for view in level_one.values() {
        let zones: BTreeSet<&str> = view.members.iter().map(|m| zone_of[&m.pid]).collect();
        assert_eq!(zones.len(), 1, "{} mixes zones {zones:?}", view.label);
        sizes_by_zone.entry(zones.into_iter().next().expect("a zone")).or_default().push(view.members.len());
        let notes: BTreeSet<NoteId> = view.notes.iter().map(|n| n.id).collect();
        let brought: BTreeSet<NoteId> =
            people.iter().filter(|p| pids(view).contains(&p.pid)).map(|p| p.solo_note).collect();
        assert_eq!(notes, brought, "{} brings exactly its members' notes", view.label);
        let words: Vec<&str> = view.label.split(' ').collect();
        assert_eq!(words.len(), 3, "a colour, an animal and a number: {}", view.label);
    }
    assert_eq!(sizes_by_zone["A"], vec![3, 3, 3, 3]);
    assert_eq!(sizes_by_zone["B"], vec![3, 3, 3]);
    assert_eq!(sizes_by_zone["C"], vec![2], "the zone of two is a group of two");
    let labels: BTreeSet<&String> = level_one.values().map(|v| &v.label).collect();
    assert_eq!(labels.len(), level_one.len(), "labels are unique");

    // In each group, the first member stars the first note; every member sees the star.
    let mut starred_one: BTreeMap<GroupId, NoteId> = BTreeMap::new();
    for view in level_one.values() {
        let first = view.members[0].pid;
        let note = view.notes[0].id;
        let person = people.iter_mut().find(|p| p.pid == first).expect("member");
        assert!(
            person
                .client
                .request(ClientMsg::Grouping(GroupingMsg::NoteStar { note, on: true }))
                .await
                .is_ok()
        );
        starred_one.insert(view.id, note);
    }
    for person in &mut people {
        let (id, note) = starred_one
            .iter()
            .find(|(id, _)| pids(&level_one[id]).contains(&person.pid))
            .map(|(id, note)| (*id, *note))
            .expect("in a group");
        let updated =
            group(&mut person.client, 1, |g| g.notes.iter().any(|n| n.id == note && n.stars == 1)).await;
        assert_eq!(updated.id, id);
    }
    facilitator
        .until(|msg| {
            matches!(msg, ServerMsg::Progress(p) if p.groups == Some(8) && p.groups_starred == Some(8))
                .then_some(())
        })
        .await;

    // Level 2: whole groups merge inside their zone; only starred notes come along.
    next_phase(&mut facilitator).await;
    let mut level_two: BTreeMap<GroupId, GroupView> = BTreeMap::new();
    for person in &mut people {
        let view = group(&mut person.client, 2, |_| true).await;
        level_two.insert(view.id, view);
    }
    assert_eq!(level_two.len(), 3, "one group per zone: 12, 9 and 2 people");
    for earlier in level_one.values() {
        let holding: Vec<&GroupView> =
            level_two.values().filter(|later| pids(earlier).is_subset(&pids(later))).collect();
        assert_eq!(holding.len(), 1, "{} was split up", earlier.label);
        let brought: Vec<(NoteId, Option<GroupId>)> =
            holding[0].notes.iter().map(|n| (n.id, n.from)).collect();
        assert!(
            brought.contains(&(starred_one[&earlier.id], Some(earlier.id))),
            "starred note of {}",
            earlier.label
        );
    }
    let total: usize = level_two.values().map(|g| g.members.len()).sum();
    assert_eq!(total, 23);
    for view in level_two.values() {
        assert_eq!(
            view.notes.len(),
            view.members.len().div_ceil(3).max(1),
            "one starred note per merged group"
        );
    }

    // Someone arriving now goes into the smallest group of their zone.
    let mut late = server.connect().await;
    let welcome = late
        .join(Join {
            name: Some("Late".into()),
            zone: Some("C".into()),
            ..Join::new(code, Role::Participant)
        })
        .await
        .expect("join");
    let late_group = welcome.view.group.expect("placed in a group");
    assert_eq!(late_group.members.len(), 3, "joined zone C's pair");
    let c_member = people.iter_mut().find(|p| p.zone == "C").expect("zone C");
    let grown = group(&mut c_member.client, 2, |g| g.members.len() == 3).await;
    assert_eq!(grown.id, late_group.id);

    // Stars at level 2, then the poster for the facilitator and the screen.
    let mut final_stars: BTreeMap<GroupId, NoteId> = BTreeMap::new();
    for view in level_two.values() {
        let first = view.members[0].pid;
        let note = view.notes[0].id;
        let person = people.iter_mut().find(|p| p.pid == first).expect("member");
        assert!(
            person
                .client
                .request(ClientMsg::Grouping(GroupingMsg::NoteStar { note, on: true }))
                .await
                .is_ok()
        );
        final_stars.insert(view.id, note);
    }
    next_phase(&mut facilitator).await;
    for watcher in [&mut facilitator, &mut screen] {
        let poster: Vec<PosterGroup> = watcher
            .until(|msg| match msg {
                ServerMsg::Poster { groups, .. } => Some(groups.clone()),
                _ => None,
            })
            .await;
        assert_eq!(poster.len(), 3);
        for group in &poster {
            let notes: Vec<NoteId> = group.notes.iter().map(|n| n.id).collect();
            assert_eq!(notes, vec![final_stars[&group.id]], "{} shows its starred note", group.label);
            assert_eq!(group.label, level_two[&group.id].label);
        }
    }
    // Moderation: a hidden note leaves the poster.
    let (&hidden_group, &hidden_note) = final_stars.iter().next().expect("a starred note");
    assert!(
        facilitator
            .request(ClientMsg::Grouping(GroupingMsg::NoteHide { note: hidden_note, hidden: true }))
            .await
            .is_ok()
    );
    let poster = screen
        .until(|msg| match msg {
            ServerMsg::Poster { groups, .. } => Some(groups.clone()),
            _ => None,
        })
        .await;
    let group = poster.iter().find(|g| g.id == hidden_group).expect("still on the poster");
    assert!(group.notes.is_empty(), "the hidden note is gone");

    // The export holds every group and note, by pid only.
    let export: lapp_protocol::SessionExport =
        serde_json::from_value(server.export(code, &created.key).await).expect("an export");
    let grouping = &export.activities[1];
    assert_eq!(grouping.groups.len(), 8 + 3);
    assert_eq!(grouping.notes.len(), 23);
    let csv = reqwest::Client::new()
        .get(server.url(&format!("/api/sessions/{code}/export?format=csv")))
        .bearer_auth(&created.key)
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("text");
    assert_eq!(csv.lines().count(), 1 + 23 + 23, "a header, the 25/10's cards and the notes");
    server.shut_down().await;
}

/// Notes sent together reach the actor in one batch, and their group goes to its members once
/// for all of them: still, each author sees their note in the group before its `ack`, and every
/// member ends with every note, the one who only watches (and gets the changes at the ticks)
/// too, in the group's order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_sent_together_show_in_the_group_before_their_acks_and_none_is_dropped() {
    const NOTES: u64 = 5;
    let server = TestServer::start().await;
    let body = json!({
        "title": "Burst",
        "agenda": [{"kind": "grouping", "prompt": "What do we do first?", "sizes": [4]}]
    });
    let (status, created) = server.post_session(&body.to_string()).await;
    assert_eq!(status, 201, "{created}");
    let created: lapp_protocol::SessionCreated = serde_json::from_value(created).expect("created");
    let (mut facilitator, _) = server.join(created.code, Role::Facilitator, None, Some(&created.key)).await;
    let mut people = Vec::new();
    for name in ["Ada", "Bo", "Cy"] {
        people.push(server.join(created.code, Role::Participant, Some(name), None).await.0);
    }
    let (mut watcher, _) = server.join(created.code, Role::Participant, Some("Dee"), None).await;
    assert!(facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.is_ok());
    next_phase(&mut facilitator).await; // alone
    next_phase(&mut facilitator).await; // in fours
    for person in people.iter_mut().chain([&mut watcher]) {
        assert_eq!(group(person, 1, |_| true).await.members.len(), 4, "one group of four");
    }

    // Everyone sends all their notes at once, without waiting for answers.
    for person in &mut people {
        for rid in 1..=NOTES {
            let add = ClientMsg::Grouping(GroupingMsg::NoteAdd { text: format!("note {rid}") });
            person.send(&lapp_protocol::ClientFrame::new(Some(rid), add)).await;
        }
    }
    for person in &mut people {
        for rid in 1..=NOTES {
            assert!(matches!(person.answer(rid).await, Ok(ServerMsg::Ack { note: Some(_), .. })));
        }
        let mut now = None;
        for msg in &person.log {
            follow(&mut now, msg);
            if let ServerMsg::Ack { note: Some(note), .. } = msg {
                let shown =
                    now.as_ref().is_some_and(|group| group.notes.iter().any(|shown| shown.id == *note));
                assert!(shown, "note {note:?} acknowledged before its group showed it");
            }
        }
    }
    let mut notes = Vec::new();
    for person in people.iter_mut().chain([&mut watcher]) {
        let whole = group(person, 1, |group| group.notes.len() as u64 == 3 * NOTES).await;
        notes = whole.notes.iter().map(|note| note.id).collect();
        assert_eq!(
            notes.iter().collect::<BTreeSet<_>>().len() as u64,
            3 * NOTES,
            "every note of the group, once"
        );
    }
    // Everyone stars every note at once, and one note is deleted: only what changed is sent.
    for person in &mut people {
        for (rid, &note) in (100..).zip(&notes) {
            let star = ClientMsg::Grouping(GroupingMsg::NoteStar { note, on: true });
            person.send(&lapp_protocol::ClientFrame::new(Some(rid), star)).await;
        }
    }
    for person in &mut people {
        for rid in (100..).take(notes.len()) {
            assert!(person.answer(rid).await.is_ok());
        }
    }
    let own = people[0].log().iter().find_map(|msg| match msg {
        ServerMsg::Ack { note: Some(note), .. } => Some(*note),
        _ => None,
    });
    let own = own.expect("a note of Ada's");
    let delete = ClientMsg::Grouping(GroupingMsg::NoteDelete { note: own });
    // Sent with `send`, as the notes above were, so it names its rid itself.
    people[0].send(&lapp_protocol::ClientFrame::new(Some(200), delete)).await;
    assert!(people[0].answer(200).await.is_ok());
    let last = notes.len() as u64 - 1;
    for person in people.iter_mut().chain([&mut watcher]) {
        let now = group(person, 1, |group| {
            group.notes.len() as u64 == last && group.notes.iter().all(|note| note.stars == 3)
        })
        .await;
        let ids: BTreeSet<_> = now.notes.iter().map(|note| note.id).collect();
        assert_eq!(ids.len() as u64, last, "every note of the group, once");
        assert!(!ids.contains(&own), "the deleted note is gone");
        assert!(
            person.log().iter().all(|msg| !matches!(msg, ServerMsg::Group(g) if g.notes.len() > 3)),
            "after the level's first, every group frame said only what changed"
        );
    }
    // What the frames built is what a phone coming back is shown.
    for person in people.iter_mut().chain([&mut watcher]) {
        let mut frames = person.log().to_vec();
        let welcome = frames.iter().find_map(|msg| match msg {
            ServerMsg::Welcome(welcome) => Some(welcome.clone()),
            _ => None,
        });
        let (_, back) = server.resume(created.code, &welcome.expect("a welcome")).await;
        frames.retain(|msg| !matches!(msg, ServerMsg::Welcome(_)));
        assert_eq!(held(&frames), back.view.group, "the frames' group is the welcome's");
    }
}

/// At each change of level, forwards and back, a phone gets the level's `activity` once, and
/// its group right after it, before anything else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_levels_activity_comes_once_and_right_before_the_phones_group() {
    let server = TestServer::start().await;
    let body = json!({
        "title": "Levels",
        "agenda": [{"kind": "grouping", "prompt": "What do we do first?", "sizes": [2, 4]}]
    });
    let (status, created) = server.post_session(&body.to_string()).await;
    assert_eq!(status, 201, "{created}");
    let created: lapp_protocol::SessionCreated = serde_json::from_value(created).expect("created");
    let (mut facilitator, _) = server.join(created.code, Role::Facilitator, None, Some(&created.key)).await;
    let mut people = Vec::new();
    for name in ["Ada", "Bo", "Cy", "Dee", "Eli"] {
        people.push(server.join(created.code, Role::Participant, Some(name), None).await.0);
    }
    assert!(facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.is_ok());
    next_phase(&mut facilitator).await; // alone
    for person in &mut people {
        phase(person, Phase::Solo).await;
    }
    // Levels 1 and 2, the poster, then back to level 2: the level each phone is shown.
    let mut expected = Vec::new();
    for (back, level) in [(false, Some(1)), (false, Some(2)), (false, None), (true, Some(2))] {
        let msg = match back {
            false => ClientMsg::PhaseNext { from: None },
            true => ClientMsg::PhaseBack { from: None },
        };
        let ack = facilitator.request(msg).await;
        assert!(ack.is_ok(), "refused: {ack:?}");
        for person in &mut people {
            match level {
                Some(level) => drop(group(person, level, |_| true).await),
                None => phase(person, Phase::Poster).await,
            }
        }
        expected.extend(level);
    }
    for (index, person) in people.iter().enumerate() {
        let log = person.log();
        let shown: Vec<u32> = log
            .iter()
            .filter_map(|msg| match msg {
                ServerMsg::Activity(activity) if activity.phase == Phase::Level => activity.level,
                _ => None,
            })
            .collect();
        assert_eq!(shown, expected, "phone {index}: one `activity` per move");
        for (at, msg) in log.iter().enumerate() {
            let ServerMsg::Activity(activity) = msg else { continue };
            let Some(level) = activity.level.filter(|_| activity.phase == Phase::Level) else { continue };
            let next = log.get(at + 1);
            assert!(
                matches!(next, Some(ServerMsg::Group(group)) if group.level == level),
                "phone {index}: the `activity` of level {level} is followed by {next:?}, not its group"
            );
        }
    }
}
