//! Lean Coffee over real sockets: three tables (zones) of four, five and six people collect
//! topics, merge them, dot them blind, step back and vote again, and discuss against the clock:
//! one table's first topic is extended three times (by its thumbs, by the facilitator after a
//! reset, and by its thumbs again), one table votes to move on, one runs through its topics by
//! hand. Every error case is answered with its code and changes nothing, and the export holds
//! exactly the acknowledged topics, dots, thumbs and items. After `kill -9` of the real binary
//! they are all still there, and a table's running vote still closes on time.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use lapp_protocol::{
    ClientMsg, ErrorCode, HallView, ItemId, Join, JoinCode, LeanCoffeeMsg, Pid, Progress, RetroMsg, Role,
    ServerMsg, SessionCreated, SessionExport, TableView, Thumb, TopicId, Welcome,
};
use lapp_server::Limits;
use serde_json::json;
use support::{Client, LappProcess, TestServer};
use tokio::time::Instant;

const ZONES: [(&str, usize); 3] = [("A", 4), ("B", 5), ("C", 6)];

fn lc(msg: LeanCoffeeMsg) -> ClientMsg {
    ClientMsg::LeanCoffee(msg)
}

/// A Lean Coffee with short timeboxes: ten seconds each, four of them, and five-second votes.
fn agenda(vote_seconds: u32) -> serde_json::Value {
    json!([{"kind": "leancoffee", "prompt": "What shall we talk about?", "max_topics": 2, "max_chars": 60,
            "dots": 3, "max_dots_per_topic": 2, "timeboxes": [10, 10, 10, 10], "vote_seconds": vote_seconds}])
}

async fn ok(client: &mut Client, msg: LeanCoffeeMsg) -> ServerMsg {
    let name = msg.type_name();
    client
        .request(lc(msg))
        .await
        .unwrap_or_else(|(code, message)| panic!("{name} refused: {code}: {message}"))
}

async fn refused(client: &mut Client, msg: LeanCoffeeMsg) -> ErrorCode {
    let name = msg.type_name();
    match client.request(lc(msg)).await {
        Ok(ack) => panic!("{name} was accepted: {ack:?}"),
        Err((code, _)) => code,
    }
}

fn topic_of(ack: &ServerMsg) -> TopicId {
    match ack {
        ServerMsg::Ack { topic: Some(topic), .. } => *topic,
        other => panic!("no topic in {other:?}"),
    }
}

fn item_of(ack: &ServerMsg) -> ItemId {
    match ack {
        ServerMsg::Ack { item: Some(item), .. } => *item,
        other => panic!("no item in {other:?}"),
    }
}

/// The next `table` frame that shows what `wanted` looks for.
async fn table_where(client: &mut Client, wanted: impl Fn(&TableView) -> bool) -> TableView {
    client
        .until(|msg| match msg {
            ServerMsg::Table(view) if wanted(view) => Some(view.clone()),
            _ => None,
        })
        .await
}

async fn hall_where(client: &mut Client, wanted: impl Fn(&HallView) -> bool) -> HallView {
    client
        .until(|msg| match msg {
            ServerMsg::Tables(view) if wanted(view) => Some(view.clone()),
            _ => None,
        })
        .await
}

/// Sleeps until a second before the timebox of `view` (read at `seen`) ends by the server's
/// clock, so that the wait for what happens then stays short.
async fn sleep_until_near_end(seen: Instant, view: &TableView) {
    let left = view.ends.expect("a running timebox").saturating_sub(view.now);
    tokio::time::sleep_until(seen + Duration::from_millis(left.saturating_sub(1_000))).await;
}

fn ids(view: &TableView) -> Vec<TopicId> {
    view.topics.iter().map(|topic| topic.id).collect()
}

/// Everything acknowledged, as the export must hold it.
#[derive(Debug, Default)]
struct Acknowledged {
    /// Topics not deleted: table, author, text, and what each was merged into.
    topics: BTreeMap<TopicId, (String, Pid, String, Option<TopicId>)>,
    /// Dots as they stand, moved along with merges.
    dots: BTreeMap<(Pid, TopicId), u32>,
    /// Each voter's last thumb, by topic and vote.
    thumbs: BTreeMap<(TopicId, u32, Pid), Thumb>,
    /// Items not deleted: topic, text, author, owner.
    items: BTreeMap<ItemId, (TopicId, String, Option<Pid>, Option<Pid>)>,
}

impl Acknowledged {
    fn topic(&mut self, ack: &ServerMsg, table: &str, author: Pid, text: &str) -> TopicId {
        let topic = topic_of(ack);
        self.topics.insert(topic, (table.to_owned(), author, text.to_owned(), None));
        topic
    }

    fn dots(&mut self, pid: Pid, topic: TopicId, count: u32) {
        if count == 0 {
            self.dots.remove(&(pid, topic));
        } else {
            self.dots.insert((pid, topic), count);
        }
    }

    fn merge(&mut self, topic: TopicId, into: TopicId) {
        self.topics.get_mut(&topic).expect("a topic").3 = Some(into);
        let moved: Vec<(Pid, u32)> = self
            .dots
            .iter()
            .filter(|((_, on), _)| *on == topic)
            .map(|(&(pid, _), &count)| (pid, count))
            .collect();
        for (pid, count) in moved {
            self.dots.remove(&(pid, topic));
            *self.dots.entry((pid, into)).or_default() += count;
        }
    }

    fn total(&self, topic: TopicId) -> u32 {
        self.dots.iter().filter(|((_, on), _)| *on == topic).map(|(_, count)| count).sum()
    }

    /// The ranking rule on what was acknowledged: a table's topics left after merging, by dots,
    /// ties to the earlier topic.
    fn ranked(&self, table: &str) -> Vec<TopicId> {
        let mut ranked: Vec<TopicId> = self
            .topics
            .iter()
            .filter(|(_, (at, _, _, merged_into))| at == table && merged_into.is_none())
            .map(|(&id, _)| id)
            .collect();
        ranked.sort_by_key(|&id| (std::cmp::Reverse(self.total(id)), id));
        ranked
    }

    /// The export holds exactly what was acknowledged.
    fn check(&self, export: &SessionExport) {
        let tables = &export.activities[0].tables;
        let mut topics = BTreeMap::new();
        let mut dots = BTreeMap::new();
        let mut thumbs = BTreeMap::new();
        let mut items = BTreeMap::new();
        for table in tables {
            for topic in &table.topics {
                topics.insert(
                    topic.id,
                    (table.table.clone(), topic.author, topic.text.clone(), topic.merged_into),
                );
                assert_eq!(topic.dots, self.total(topic.id), "{}'s dots", topic.id);
            }
            for placed in &table.dots {
                dots.insert((placed.pid, placed.topic), placed.count);
            }
            for thumb in &table.votes {
                thumbs.insert((thumb.topic, thumb.vote, thumb.pid), thumb.thumb);
            }
            for item in &table.items {
                items.insert(item.id, (item.topic, item.text.clone(), item.author, item.owner));
            }
        }
        assert_eq!(topics, self.topics, "topics");
        assert_eq!(dots, self.dots, "dots");
        assert_eq!(thumbs, self.thumbs, "thumbs");
        assert_eq!(items, self.items, "items");
    }
}

struct Person {
    client: Client,
    welcome: Welcome,
    pid: Pid,
    zone: &'static str,
}

async fn export(server: &TestServer, code: JoinCode, key: &str) -> SessionExport {
    serde_json::from_value(server.export(code, key).await).expect("a session export")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_tables_run_a_whole_lean_coffee() {
    // The facilitator sends many requests in a row here; the budget per connection is not
    // what this test is about.
    let server = TestServer::start_with(Limits {
        messages_per_second: 1_000,
        message_burst: 1_000,
        ..Limits::default()
    })
    .await;
    let (status, body) = server
        .post_session(&json!({"title": "Lean day", "language": "en", "agenda": agenda(5)}).to_string())
        .await;
    assert_eq!(status, 201, "{body}");
    let created: SessionCreated = serde_json::from_value(body).expect("created");
    let (code, key) = (created.code, created.key.clone());
    let (mut facilitator, _) = server.join(code, Role::Facilitator, None, Some(&key)).await;
    let (mut screen, _) = server.join(code, Role::Screen, None, None).await;
    let mut people: Vec<Person> = Vec::new();
    for (zone, size) in ZONES {
        for _ in 0..size {
            let mut client = server.connect().await;
            let join = Join {
                name: Some(format!("Kari{}", people.len())),
                zone: Some(zone.into()),
                ..Join::new(code, Role::Participant)
            };
            let welcome = client.join(join).await.expect("joined");
            let pid = welcome.you.pid.expect("pid");
            people.push(Person { client, welcome, pid, zone });
        }
    }
    assert!(people.iter().all(|person| person.welcome.view.table.is_none()), "no tables in the lobby");
    // Tables A, B and C: people[0..4], people[4..9], people[9..15].
    let (a, b, c) = (0, 4, 9);
    let pid = |people: &[Person], at: usize| people[at].pid;
    let mut acked = Acknowledged::default();

    facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.expect("started");
    let early = LeanCoffeeMsg::TopicAdd { text: "Too early".into() };
    assert_eq!(refused(&mut people[a].client, early.clone()).await, ErrorCode::WrongPhase);
    assert_eq!(refused(&mut screen, early).await, ErrorCode::Forbidden);

    // Collect: everyone sits at their zone's table and adds a topic.
    facilitator.request(ClientMsg::PhaseNext { from: None }).await.expect("collect");
    for person in &mut people {
        let size = ZONES.iter().find(|(zone, _)| *zone == person.zone).expect("zone").1;
        let zone = person.zone;
        let view = table_where(&mut person.client, |view| view.table == zone).await;
        assert_eq!(view.members.len(), size);
        assert!(view.members.iter().all(|member| member.zone.as_deref() == Some(zone)));
    }
    let mut first = Vec::new();
    for at in 0..people.len() {
        let text = format!("Topic {}{}", people[at].zone, at);
        let ack = ok(&mut people[at].client, LeanCoffeeMsg::TopicAdd { text: text.clone() }).await;
        first.push(acked.topic(&ack, people[at].zone, pid(&people, at), &text));
    }
    let text = "Second topic of A0".to_owned();
    let ack = ok(&mut people[a].client, LeanCoffeeMsg::TopicAdd { text: text.clone() }).await;
    let second = acked.topic(&ack, "A", pid(&people, a), &text);
    let (t_a, t_b, t_c) = (&first[a..b], &first[b..c], &first[c..]);

    let before = export(&server, code, &key).await;
    let add = |text: &str| LeanCoffeeMsg::TopicAdd { text: text.to_owned() };
    let merge = |topic: TopicId, into: TopicId| LeanCoffeeMsg::TopicMerge { topic, into };
    let dots = |topic: TopicId, count: u32| LeanCoffeeMsg::DotsSet { topic, count };
    let item = |text: &str, owner: Option<Pid>, table: Option<&str>| LeanCoffeeMsg::ItemAdd {
        text: text.to_owned(),
        owner,
        table: table.map(str::to_owned),
    };
    let extend = |table: &str| LeanCoffeeMsg::TopicExtend { table: table.to_owned() };
    let reset = |table: &str| LeanCoffeeMsg::TimeboxReset { table: table.to_owned() };
    let next = |table: Option<&str>, from: Option<TopicId>| LeanCoffeeMsg::TopicNext {
        table: table.map(str::to_owned),
        from,
    };
    let thumb = |vote: Thumb| LeanCoffeeMsg::Thumb { vote };
    let p = &mut people;
    assert_eq!(refused(&mut p[a].client, add("Third of A0")).await, ErrorCode::TooMany);
    assert_eq!(refused(&mut p[a + 1].client, add(" \n ")).await, ErrorCode::EmptyText);
    assert_eq!(refused(&mut p[a + 1].client, add(&"x".repeat(61))).await, ErrorCode::TextTooLong);
    let delete_a0 = LeanCoffeeMsg::TopicDelete { topic: t_a[0] };
    assert_eq!(refused(&mut p[a + 1].client, delete_a0).await, ErrorCode::Forbidden);
    assert_eq!(refused(&mut p[a].client, merge(t_a[0], t_a[0])).await, ErrorCode::BadMerge);
    assert_eq!(refused(&mut p[a].client, merge(t_a[0], t_b[0])).await, ErrorCode::OtherTable);
    assert_eq!(refused(&mut p[a].client, merge(TopicId(999), t_a[0])).await, ErrorCode::UnknownItem);
    assert_eq!(refused(&mut facilitator, merge(t_a[0], t_b[0])).await, ErrorCode::BadMerge);
    assert_eq!(refused(&mut screen, merge(t_a[0], t_a[1])).await, ErrorCode::Forbidden);
    assert_eq!(refused(&mut facilitator, add("Facilitators add no topics")).await, ErrorCode::Forbidden);
    assert_eq!(refused(&mut p[a].client, dots(t_a[0], 1)).await, ErrorCode::WrongPhase);
    assert_eq!(refused(&mut p[a].client, thumb(Thumb::Up)).await, ErrorCode::NoVote);
    assert_eq!(refused(&mut p[a].client, next(None, None)).await, ErrorCode::WrongPhase);
    assert_eq!(refused(&mut p[a].client, item("Too early", None, None)).await, ErrorCode::WrongPhase);
    assert_eq!(refused(&mut p[a].client, extend("A")).await, ErrorCode::Forbidden);
    assert_eq!(refused(&mut facilitator, extend("A")).await, ErrorCode::WrongPhase);
    assert_eq!(refused(&mut facilitator, reset("A")).await, ErrorCode::WrongPhase);
    assert_eq!(export(&server, code, &key).await, before, "refusals change nothing");

    // A topic added and taken back; merges by a member and by the facilitator.
    let never = topic_of(&ok(&mut p[a + 1].client, add("Never mind")).await);
    ok(&mut p[a + 1].client, LeanCoffeeMsg::TopicDelete { topic: never }).await;
    ok(&mut p[a + 1].client, merge(t_a[2], t_a[3])).await;
    acked.merge(t_a[2], t_a[3]);
    ok(&mut facilitator, merge(t_b[1], t_b[0])).await;
    acked.merge(t_b[1], t_b[0]);
    let before = export(&server, code, &key).await;
    assert_eq!(refused(&mut p[a].client, merge(t_a[2], t_a[1])).await, ErrorCode::BadMerge, "merged away");
    assert_eq!(refused(&mut p[a].client, merge(t_a[1], t_a[2])).await, ErrorCode::BadMerge, "into merged");
    let delete = |topic: TopicId| LeanCoffeeMsg::TopicDelete { topic };
    assert_eq!(refused(&mut p[a + 3].client, delete(t_a[3])).await, ErrorCode::BadMerge, "merged into");
    assert_eq!(refused(&mut p[a + 2].client, delete(t_a[2])).await, ErrorCode::BadMerge, "merged away");
    assert_eq!(refused(&mut p[a].client, delete(never)).await, ErrorCode::UnknownItem, "deleted");
    assert_eq!(export(&server, code, &key).await, before, "refusals change nothing");
    // Everyone at A sees A's topics live, and nothing of B's.
    let view = table_where(&mut p[a].client, |view| {
        view.topics.len() == 4 && view.topics.iter().any(|topic| !topic.merged.is_empty())
    })
    .await;
    assert_eq!(ids(&view), vec![t_a[0], t_a[1], t_a[3], second]);
    assert_eq!(view.topics[2].merged, vec!["Topic A2".to_owned()]);
    assert!(view.topics[0].mine && view.topics[3].mine && !view.topics[1].mine);
    assert!(view.topics.iter().all(|topic| topic.dots.is_none()), "no dots while collecting");
    let view =
        table_where(&mut p[b].client, |view| view.topics.len() == 4 && !view.topics[0].merged.is_empty())
            .await;
    assert_eq!(ids(&view), vec![t_b[0], t_b[2], t_b[3], t_b[4]]);
    assert_eq!(view.topics[0].merged, vec!["Topic B5".to_owned()]);

    // Vote: blind for participants, live for facilitators.
    facilitator.request(ClientMsg::PhaseNext { from: None }).await.expect("vote");
    let before = export(&server, code, &key).await;
    assert_eq!(refused(&mut p[a].client, dots(t_a[3], 3)).await, ErrorCode::TooMany, "per topic");
    assert_eq!(refused(&mut p[a].client, dots(t_b[0], 1)).await, ErrorCode::OtherTable);
    assert_eq!(refused(&mut p[a].client, dots(t_a[2], 1)).await, ErrorCode::UnknownItem, "merged away");
    assert_eq!(refused(&mut p[a].client, dots(TopicId(999), 1)).await, ErrorCode::UnknownItem);
    assert_eq!(refused(&mut p[a].client, add("Late topic")).await, ErrorCode::WrongPhase);
    assert_eq!(refused(&mut p[a].client, delete(t_a[0])).await, ErrorCode::WrongPhase);
    assert_eq!(refused(&mut facilitator, dots(t_a[0], 1)).await, ErrorCode::Forbidden);
    assert_eq!(export(&server, code, &key).await, before, "refusals change nothing");
    let placed = [
        (a, t_a[3], 2),
        (a, second, 1),
        (a + 1, t_a[0], 2),
        (a + 1, second, 1),
        (a + 2, t_a[1], 1),
        (a + 2, t_a[0], 1),
        (a + 3, t_a[3], 1),
    ];
    for (at, topic, count) in placed {
        ok(&mut p[at].client, dots(topic, count)).await;
        acked.dots(pid(p, at), topic, count);
    }
    assert_eq!(refused(&mut p[a].client, dots(t_a[0], 1)).await, ErrorCode::TooMany, "all three placed");
    // Five people at B put a dot on each of two topics: a tie, which goes to the earlier one.
    for at in b..c {
        for topic in [t_b[3], t_b[2]] {
            ok(&mut p[at].client, dots(topic, 1)).await;
            acked.dots(pid(p, at), topic, 1);
        }
    }
    ok(&mut p[b].client, dots(t_b[4], 1)).await;
    acked.dots(pid(p, b), t_b[4], 1);
    // At C every topic gets one dot: the ranking is the order they were added.
    for (offset, at) in (c..p.len()).enumerate() {
        let topic = t_c[(offset + 1) % t_c.len()];
        ok(&mut p[at].client, dots(topic, 1)).await;
        acked.dots(pid(p, at), topic, 1);
    }
    let mine = table_where(&mut p[a].client, |view| view.dots_left == Some(0)).await;
    assert!(mine.topics.iter().all(|topic| topic.dots.is_none()), "blind: {mine:?}");
    let my_dots: Vec<u32> = mine.topics.iter().map(|topic| topic.my_dots).collect();
    assert_eq!(my_dots, vec![0, 0, 2, 1]);
    // Facilitators see every dot, at the next tick.
    let watched = table_where(&mut facilitator, |view| {
        let dots: Vec<Option<u32>> = view.topics.iter().map(|topic| topic.dots).collect();
        view.table == "A" && dots == [Some(3), Some(1), Some(3), Some(2)]
    })
    .await;
    assert_eq!(ids(&watched), vec![t_a[0], t_a[1], t_a[3], second]);
    // Merging while voting keeps every dot: A1 now has three on one topic, over the cap.
    ok(&mut p[a + 2].client, merge(second, t_a[0])).await;
    acked.merge(second, t_a[0]);
    let view =
        table_where(&mut p[a + 1].client, |view| view.topics.len() == 3 && view.dots_left.is_some()).await;
    assert_eq!(view.topics[0].my_dots, 3);
    assert_eq!(view.dots_left, Some(0));

    // A step back to collecting keeps the dots and hides them again; then vote again.
    facilitator.request(ClientMsg::PhaseBack { from: None }).await.expect("back to collect");
    let view = table_where(&mut p[a + 1].client, |view| view.dots_left.is_none()).await;
    assert_eq!((view.topics[0].my_dots, view.topics[0].dots), (3, None));
    assert_eq!(refused(&mut p[a + 1].client, dots(t_a[0], 1)).await, ErrorCode::WrongPhase);
    facilitator.request(ClientMsg::PhaseNext { from: None }).await.expect("vote again");
    let view = table_where(&mut p[a + 1].client, |view| view.dots_left.is_some()).await;
    assert_eq!((view.topics[0].my_dots, view.dots_left), (3, Some(0)));

    // Discuss: each table ranked by its dots, its first topic started at once.
    facilitator.request(ClientMsg::PhaseNext { from: None }).await.expect("discuss");
    let started = table_where(&mut p[a].client, |view| view.current.is_some()).await;
    let seen = Instant::now();
    assert_eq!(ids(&started), acked.ranked("A"));
    assert_eq!(ids(&started), vec![t_a[0], t_a[3], t_a[1]]);
    assert_eq!(
        started.topics.iter().map(|topic| topic.dots).collect::<Vec<_>>(),
        vec![Some(5), Some(3), Some(1)]
    );
    assert_eq!((started.current, started.seconds), (Some(t_a[0]), Some(10)));
    let left = started.ends.expect("ends") - started.now;
    assert!((9_000..=10_000).contains(&left), "{left} ms left");
    let view = table_where(&mut p[b].client, |view| view.current.is_some()).await;
    assert_eq!(ids(&view), acked.ranked("B"));
    assert_eq!(ids(&view), vec![t_b[2], t_b[3], t_b[4], t_b[0]], "the tie goes to the earlier topic");
    let view = table_where(&mut p[c].client, |view| view.current.is_some()).await;
    assert_eq!(ids(&view), t_c.to_vec());

    let before = export(&server, code, &key).await;
    let back = facilitator.request(ClientMsg::PhaseBack { from: None }).await;
    assert_eq!(back.map_err(|(code, _)| code).err(), Some(ErrorCode::WrongPhase));
    assert_eq!(refused(&mut p[a].client, next(None, Some(t_a[3]))).await, ErrorCode::Stale);
    assert_eq!(refused(&mut p[a].client, thumb(Thumb::Up)).await, ErrorCode::NoVote);
    let b0 = pid(p, b);
    assert_eq!(refused(&mut p[a].client, item("For B", Some(b0), None)).await, ErrorCode::OtherTable);
    assert_eq!(refused(&mut p[a].client, item("At B", None, Some("B"))).await, ErrorCode::OtherTable);
    assert_eq!(refused(&mut p[a].client, item(" ", None, None)).await, ErrorCode::EmptyText);
    assert_eq!(refused(&mut facilitator, item("Where?", None, Some("Z"))).await, ErrorCode::UnknownItem);
    assert_eq!(refused(&mut facilitator, extend("Z")).await, ErrorCode::UnknownItem);
    assert_eq!(refused(&mut facilitator, reset("Z")).await, ErrorCode::UnknownItem);
    assert_eq!(refused(&mut facilitator, next(Some("Z"), None)).await, ErrorCode::UnknownItem);
    assert_eq!(refused(&mut facilitator, next(None, Some(t_a[0]))).await, ErrorCode::BadJson);
    assert_eq!(refused(&mut p[a].client, dots(t_a[0], 1)).await, ErrorCode::WrongPhase);
    assert_eq!(refused(&mut p[a].client, merge(t_a[1], t_a[0])).await, ErrorCode::WrongPhase);
    assert_eq!(refused(&mut p[a].client, add("Now?")).await, ErrorCode::WrongPhase);
    assert_eq!(refused(&mut screen, next(Some("A"), Some(t_a[0]))).await, ErrorCode::Forbidden);
    assert_eq!(export(&server, code, &key).await, before, "refusals change nothing");

    // Action items, by a member (owned by another) and by the facilitator stepping in.
    let a1 = pid(p, a + 1);
    let ack = ok(&mut p[a].client, item("Write it down", Some(a1), None)).await;
    acked.items.insert(item_of(&ack), (t_a[0], "Write it down".into(), Some(pid(p, a)), Some(a1)));
    let booked = item_of(&ok(&mut facilitator, item("Book a room", None, Some("A"))).await);
    acked.items.insert(booked, (t_a[0], "Book a room".into(), None, None));
    let dropped = item_of(&ok(&mut p[a + 2].client, item("Mine to drop", None, None)).await);
    let remove = |item: ItemId| LeanCoffeeMsg::ItemDelete { item };
    assert_eq!(refused(&mut p[a + 1].client, remove(dropped)).await, ErrorCode::Forbidden);
    assert_eq!(refused(&mut p[a].client, remove(booked)).await, ErrorCode::Forbidden);
    ok(&mut p[a + 2].client, remove(dropped)).await;
    assert_eq!(refused(&mut p[a + 2].client, remove(dropped)).await, ErrorCode::UnknownItem);
    let view = table_where(&mut p[a + 1].client, |view| view.items.len() == 2).await;
    assert_eq!(view.items[0].owner.as_ref().map(|owner| owner.pid), Some(a1));
    assert_eq!(view.items[0].owner.as_ref().and_then(|owner| owner.name.clone()), Some("Kari1".into()));
    assert!(!view.items[0].mine && !view.items[1].mine);

    // C runs through its topics by hand; a second tap on a topic already left is stale.
    for (offset, at) in (c..p.len()).enumerate() {
        ok(&mut p[at].client, next(None, Some(t_c[offset]))).await;
    }
    assert_eq!(refused(&mut p[c + 1].client, next(None, Some(t_c[0]))).await, ErrorCode::Stale);
    assert_eq!(refused(&mut p[c].client, next(None, None)).await, ErrorCode::WrongPhase);
    let view = table_where(&mut p[c].client, |view| view.finished).await;
    assert!(view.current.is_none() && view.topics.iter().all(|topic| topic.discussed));

    // A's first timebox ends: its thumbs vote opens, and closes as soon as all four are in.
    sleep_until_near_end(seen, &started).await;
    let voting = table_where(&mut p[a].client, |view| view.vote.is_some()).await;
    assert_eq!(voting.vote.as_ref().map(|vote| vote.voters), Some(4));
    assert_eq!(voting.current, Some(t_a[0]));
    for at in a..b {
        ok(&mut p[at].client, thumb(Thumb::Up)).await;
        acked.thumbs.insert((t_a[0], 0, pid(p, at)), Thumb::Up);
    }
    let view = table_where(&mut p[a].client, |view| view.last_vote.is_some()).await;
    let outcome = view.last_vote.clone().expect("outcome");
    assert!(outcome.extended && outcome.up == 4, "{outcome:?}");
    assert_eq!((view.current, view.vote.is_none(), view.topics[0].extended), (Some(t_a[0]), true, 1));
    assert_eq!(refused(&mut p[a].client, thumb(Thumb::Down)).await, ErrorCode::NoVote, "closed");

    // B's timebox ended with A's: B votes to move on.
    table_where(&mut p[b].client, |view| view.vote.is_some()).await;
    for (offset, at) in (b..c).enumerate() {
        let vote = [Thumb::Down, Thumb::Down, Thumb::Down, Thumb::Up, Thumb::Sideways][offset];
        ok(&mut p[at].client, thumb(vote)).await;
        acked.thumbs.insert((t_b[2], 0, pid(p, at)), vote);
    }
    let view = table_where(&mut p[b].client, |view| view.last_vote.is_some()).await;
    let outcome = view.last_vote.clone().expect("outcome");
    assert_eq!((outcome.up, outcome.sideways, outcome.down, outcome.extended), (1, 1, 3, false));
    assert_eq!(view.current, Some(t_b[3]));
    assert!(view.topics[0].discussed);

    // The facilitator extends A once more, then restarts the timebox from its full length.
    ok(&mut facilitator, extend("A")).await;
    let extended = table_where(&mut p[a].client, |view| view.topics[0].extended == 2).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    ok(&mut facilitator, reset("A")).await;
    let restarted = table_where(&mut p[a].client, |view| view.ends > extended.ends).await;
    let seen = Instant::now();
    assert_eq!((restarted.current, restarted.seconds), (Some(t_a[0]), Some(10)));

    // The next vote, with a thumb changed while it is open: more ups than downs extends again.
    sleep_until_near_end(seen, &restarted).await;
    table_where(&mut p[a].client, |view| view.vote.is_some()).await;
    ok(&mut p[a + 3].client, thumb(Thumb::Up)).await;
    ok(&mut p[a + 3].client, thumb(Thumb::Down)).await;
    let view = table_where(&mut p[a + 3].client, |view| {
        view.vote.as_ref().is_some_and(|vote| vote.down == 1 && vote.up == 0)
    })
    .await;
    assert_eq!(view.vote.and_then(|vote| vote.mine), Some(Thumb::Down));
    for (at, vote) in [(a + 2, Thumb::Sideways), (a + 1, Thumb::Up), (a, Thumb::Up)] {
        ok(&mut p[at].client, thumb(vote)).await;
    }
    for (at, vote) in [(a + 3, Thumb::Down), (a + 2, Thumb::Sideways), (a + 1, Thumb::Up), (a, Thumb::Up)] {
        acked.thumbs.insert((t_a[0], 1, pid(p, at)), vote);
    }
    let view = table_where(&mut p[a].client, |view| view.topics[0].extended == 3).await;
    let outcome = view.last_vote.clone().expect("outcome");
    assert_eq!((outcome.up, outcome.sideways, outcome.down, outcome.extended), (2, 1, 1, true));
    assert_eq!((view.current, view.seconds), (Some(t_a[0]), Some(10)));

    // A member moves A on; the same tap again is stale and moves nothing.
    ok(&mut p[a + 1].client, next(None, Some(t_a[0]))).await;
    assert_eq!(refused(&mut p[a + 2].client, next(None, Some(t_a[0]))).await, ErrorCode::Stale);
    let view = table_where(&mut p[a + 2].client, |view| view.current == Some(t_a[3])).await;
    assert!(view.topics[0].discussed && view.last_vote.is_none());

    // The screen sees every table in brief, and the hall's most-dotted topics.
    let hall = hall_where(&mut screen, |hall| {
        hall.tables.iter().any(|table| table.table == "A" && table.current.as_deref() == Some("Topic A3"))
    })
    .await;
    assert_eq!(hall.tables.iter().map(|table| table.members).collect::<Vec<_>>(), vec![4, 5, 6]);
    assert!(hall.tables.iter().any(|table| table.table == "C" && table.finished));
    assert_eq!((hall.top[0].text.as_str(), hall.top[0].dots), ("Topic A0", 5));
    assert!(hall.top.len() <= 10 && hall.top.windows(2).all(|pair| pair[0].dots >= pair[1].dots));
    // A facilitator arriving now sees every table with its dots; a newcomer sits at C.
    let (_, welcome) = server.join(code, Role::Facilitator, None, Some(&key)).await;
    let tables = welcome.view.tables.expect("every table");
    assert_eq!(tables.iter().map(|table| table.table.as_str()).collect::<Vec<_>>(), vec!["A", "B", "C"]);
    assert_eq!(
        tables[0].topics.iter().find(|topic| topic.id == t_a[0]).and_then(|topic| topic.dots),
        Some(5)
    );
    assert!(welcome.view.hall.is_some());
    let mut newcomer = server.connect().await;
    let welcome = newcomer
        .join(Join { zone: Some("C".into()), ..Join::new(code, Role::Participant) })
        .await
        .expect("joined");
    let table = welcome.view.table.expect("a table");
    assert_eq!((table.table.as_str(), table.members.len(), table.finished), ("C", 7, true));
    table_where(&mut p[c].client, |view| view.members.len() == 7).await;
    let progress = facilitator
        .until(|msg| match msg {
            ServerMsg::Progress(Progress { leancoffee: Some(counts), .. })
                if counts.items == 2 && counts.finished == 1 =>
            {
                Some(*counts)
            }
            _ => None,
        })
        .await;
    assert_eq!((progress.tables, progress.topics, progress.discussing), (3, 13, 2));
    assert_eq!(progress.dots, acked.dots.values().sum::<u32>());

    facilitator.request(ClientMsg::PhaseNext { from: None }).await.expect("done");
    let back = facilitator.request(ClientMsg::PhaseBack { from: None }).await;
    assert_eq!(back.map_err(|(code, _)| code).err(), Some(ErrorCode::WrongPhase));
    let view = table_where(&mut p[a].client, |view| view.current.is_none()).await;
    assert!(view.topics[0].discussed && view.topics[1].discussed);

    acked.check(&export(&server, code, &key).await);
    let exported = export(&server, code, &key).await;
    let a_table = &exported.activities[0].tables[0];
    let extended: Vec<(TopicId, u32, Option<u32>)> =
        a_table.topics.iter().map(|topic| (topic.id, topic.extended, topic.rank)).collect();
    assert!(extended.contains(&(t_a[0], 3, Some(1))), "{extended:?}");

    // The organisers' summary: each table's ranked topics and items, owners by pid, no names.
    let summary = reqwest::Client::new()
        .get(server.url(&format!("/api/sessions/{code}/summary?format=md")))
        .bearer_auth(&key)
        .send()
        .await
        .expect("summary")
        .text()
        .await
        .expect("text");
    assert!(summary.contains("### Table A"), "{summary}");
    assert!(summary.contains("- #1 Topic A0 + Second topic of A0 (5 dots)"), "{summary}");
    assert!(summary.contains(&format!("- Write it down (owner {a1})")), "{summary}");
    assert!(!summary.contains("Kari"), "no names in the summary: {summary}");
    server.shut_down().await;
}

/// Every acknowledged topic, dot, thumb and item survives `kill -9` of the real binary on
/// SQLite, and a vote open at the kill still closes when its time is up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_keeps_every_topic_dot_thumb_and_item_and_the_clock() {
    let data = tempfile::tempdir().expect("temp dir");
    let addr = LappProcess::free_addr();
    let mut lapp = LappProcess::start(data.path(), addr).await;
    let http = reqwest::Client::new();
    let created: SessionCreated = http
        .post(lapp.url("/api/sessions"))
        .json(&json!({"title": "Crash coffee", "agenda": agenda(8)}))
        .send()
        .await
        .expect("POST")
        .json()
        .await
        .expect("created");
    let (code, key) = (created.code, created.key.clone());
    let connect = |join: Join| async move {
        let mut client = Client::connect(addr).await;
        let welcome = client.join(join).await.expect("joined");
        (client, welcome)
    };
    let export = |lapp: &LappProcess| {
        let request = http.get(lapp.url(&format!("/api/sessions/{code}/export"))).bearer_auth(&key);
        async move { request.send().await.expect("GET").json::<SessionExport>().await.expect("export") }
    };
    let (mut facilitator, _) =
        connect(Join { key: Some(key.clone()), ..Join::new(code, Role::Facilitator) }).await;
    let mut people = Vec::new();
    for (index, zone) in ["X", "X", "X", "Y", "Y", "Y"].into_iter().enumerate() {
        let (client, welcome) = connect(Join {
            name: Some(format!("P{index}")),
            zone: Some(zone.into()),
            ..Join::new(code, Role::Participant)
        })
        .await;
        let pid = welcome.you.pid.expect("pid");
        people.push(Person { client, welcome, pid, zone });
    }
    let mut acked = Acknowledged::default();
    facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.expect("started");
    facilitator.request(ClientMsg::PhaseNext { from: None }).await.expect("collect");
    let mut topics = Vec::new();
    for person in &mut people {
        let text = format!("About {}", person.pid);
        let ack = ok(&mut person.client, LeanCoffeeMsg::TopicAdd { text: text.clone() }).await;
        topics.push(acked.topic(&ack, person.zone, person.pid, &text));
    }
    facilitator.request(ClientMsg::PhaseNext { from: None }).await.expect("vote");
    for at in 0..people.len() {
        let table = at / 3 * 3;
        for (topic, count) in [(topics[table + (at + 1) % 3], 2), (topics[at], 1)] {
            ok(&mut people[at].client, LeanCoffeeMsg::DotsSet { topic, count }).await;
            acked.dots(people[at].pid, topic, count);
        }
    }
    facilitator.request(ClientMsg::PhaseNext { from: None }).await.expect("discuss");
    let started = table_where(&mut people[0].client, |view| view.current.is_some()).await;
    let seen = Instant::now();
    let (x, y) = (acked.ranked("X")[0], acked.ranked("Y")[0]);
    assert_eq!(started.current, Some(x));
    let owner = people[4].pid;
    let msg = LeanCoffeeMsg::ItemAdd { text: "Call the caterer".into(), owner: Some(owner), table: None };
    let ack = ok(&mut people[3].client, msg).await;
    acked.items.insert(item_of(&ack), (y, "Call the caterer".into(), Some(people[3].pid), Some(owner)));

    // Both tables' timeboxes end; two of X's three and one of Y's vote, and the server dies.
    sleep_until_near_end(seen, &started).await;
    table_where(&mut people[0].client, |view| view.vote.is_some()).await;
    table_where(&mut people[3].client, |view| view.vote.is_some()).await;
    for (at, topic, vote) in [(0, x, Thumb::Up), (1, x, Thumb::Up), (3, y, Thumb::Down)] {
        ok(&mut people[at].client, LeanCoffeeMsg::Thumb { vote }).await;
        acked.thumbs.insert((topic, 0, people[at].pid), vote);
    }
    lapp.kill();
    let lapp = LappProcess::start(data.path(), addr).await;
    acked.check(&export(&lapp).await);

    let mut back = Vec::new();
    for person in &people {
        back.push(
            connect(Join { resume: person.welcome.resume.clone(), ..Join::new(code, Role::Participant) })
                .await,
        );
    }
    let table = back[0].1.view.table.clone().expect("X");
    assert_eq!(table.members.len(), 3);
    assert_eq!(table.topics.iter().map(|topic| topic.my_dots).sum::<u32>(), 3, "P0's dots");
    let view = match &table.vote {
        // The vote is still open: its thumbs are there, and it closes when its time is up.
        Some(vote) => {
            assert_eq!((vote.up, vote.mine), (2, Some(Thumb::Up)));
            table_where(&mut back[0].0, |view| view.last_vote.is_some()).await
        }
        // The restart took longer than the vote had left: it closed as the server came up.
        None => table,
    };
    let outcome = view.last_vote.clone().expect("the vote closed");
    assert_eq!((outcome.up, outcome.extended), (2, true));
    assert_eq!((view.current, view.topics[0].extended), (Some(x), 1));
    let y_view = back[3].1.view.table.clone().expect("Y");
    assert_eq!(y_view.items.len(), 1);
    assert_eq!(y_view.items[0].owner.as_ref().map(|owner| owner.pid), Some(owner));
    acked.check(&export(&lapp).await);
}

/// A hall of many small tables whose timers all run out at the same moment: every table's
/// change reaches its members at once and the facilitator a bounded share of tables each tick,
/// so nobody's queue overflows (4004) and every table arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tables_whose_timers_end_together_reach_everyone() {
    const TABLES: usize = 70;
    // A queue shorter than the hall's tables: one frame per table at once would overflow it.
    let server = TestServer::start_with(Limits { outbox_frames: 32, ..Limits::default() }).await;
    let agenda = json!([{"kind": "leancoffee", "prompt": "Many tables", "max_topics": 1, "timeboxes": [10]}]);
    let (status, body) =
        server.post_session(&json!({"title": "Big hall", "agenda": agenda}).to_string()).await;
    assert_eq!(status, 201, "{body}");
    let created: SessionCreated = serde_json::from_value(body).expect("created");
    let code = created.code;
    let (mut facilitator, _) = server.join(code, Role::Facilitator, None, Some(&created.key)).await;
    let (mut screen, _) = server.join(code, Role::Screen, None, None).await;
    let mut people = Vec::new();
    for index in 0..TABLES {
        let mut client = server.connect().await;
        let join = Join { zone: Some(format!("T{index:02}")), ..Join::new(code, Role::Participant) };
        client.join(join).await.expect("joined");
        people.push(client);
    }
    facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.expect("started");
    facilitator.request(ClientMsg::PhaseNext { from: None }).await.expect("collect");
    for (index, client) in people.iter_mut().enumerate() {
        ok(client, LeanCoffeeMsg::TopicAdd { text: format!("Topic {index}") }).await;
    }
    facilitator.request(ClientMsg::PhaseNext { from: None }).await.expect("vote");
    facilitator.request(ClientMsg::PhaseNext { from: None }).await.expect("discuss");
    let started = table_where(&mut people[0], |view| view.current.is_some()).await;
    let seen = Instant::now();
    let mut discussing = std::collections::HashSet::new();
    while discussing.len() < TABLES {
        let view = table_where(&mut facilitator, |view| view.current.is_some()).await;
        discussing.insert(view.table);
    }
    // Every table's only timebox ends at the same moment, and every table finishes.
    sleep_until_near_end(seen, &started).await;
    let mut finished = std::collections::HashSet::new();
    while finished.len() < TABLES {
        let view = table_where(&mut facilitator, |view| view.finished).await;
        finished.insert(view.table);
    }
    hall_where(&mut screen, |hall| {
        hall.tables.len() == TABLES && hall.tables.iter().all(|table| table.finished)
    })
    .await;
    for client in &mut people {
        table_where(client, |view| view.finished).await;
        assert!(client.closed.is_none());
    }
    facilitator.assert_open().await;
    screen.assert_open().await;
}

/// Whoever joined while another activity ran has no seat when the Lean Coffee is current
/// again; their first request seats them at their zone's table, durably.
#[tokio::test]
async fn someone_who_joined_during_another_activity_sits_down_with_their_first_request() {
    let server = TestServer::start().await;
    let agenda =
        json!([{"kind": "leancoffee", "prompt": "Topics?"}, {"kind": "actions", "prompt": "Tomorrow?"}]);
    let (status, body) =
        server.post_session(&json!({"title": "Two things", "agenda": agenda}).to_string()).await;
    assert_eq!(status, 201, "{body}");
    let created: SessionCreated = serde_json::from_value(body).expect("created");
    let code = created.code;
    let (mut facilitator, _) = server.join(code, Role::Facilitator, None, Some(&created.key)).await;
    let join = |zone: &str| Join { zone: Some(zone.into()), ..Join::new(code, Role::Participant) };
    let mut first = server.connect().await;
    first.join(join("A")).await.expect("joined");
    facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.expect("started");
    facilitator.request(ClientMsg::PhaseNext { from: None }).await.expect("collect");
    table_where(&mut first, |view| view.members.len() == 1).await;
    facilitator.request(ClientMsg::ActivityStart { index: 1, from: None }).await.expect("actions");
    let mut late = server.connect().await;
    let welcome = late.join(join("A")).await.expect("joined");
    assert!(welcome.view.table.is_none());
    facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.expect("back");
    let ack = ok(&mut late, LeanCoffeeMsg::TopicAdd { text: "Better late".into() }).await;
    let topic = topic_of(&ack);
    let view = table_where(&mut late, |view| view.topics.iter().any(|shown| shown.id == topic)).await;
    assert_eq!((view.table.as_str(), view.members.len()), ("A", 2));
    assert!(view.topics.iter().any(|shown| shown.id == topic && shown.mine));
    table_where(&mut first, |view| view.members.len() == 2).await;
    let (_, welcome) = server.resume(code, &welcome).await;
    assert_eq!(welcome.view.table.map(|table| table.members.len()), Some(2), "the seat was stored");
}

/// A facilitator takes an offensive topic down by removing whoever wrote it: the topic leaves
/// the table, the writer's phone is closed and cannot come back, and the export keeps it,
/// hidden. A retrospective note names its writer the same way.
#[tokio::test]
async fn removing_the_author_of_a_topic_or_retro_note_takes_it_down() {
    let server = TestServer::start().await;
    let agenda =
        json!([{"kind": "leancoffee", "prompt": "Topics?"}, {"kind": "retro", "prompt": "How was it?"}]);
    let (status, body) =
        server.post_session(&json!({"title": "Moderated", "agenda": agenda}).to_string()).await;
    assert_eq!(status, 201, "{body}");
    let created: SessionCreated = serde_json::from_value(body).expect("created");
    let (code, key) = (created.code, created.key.clone());
    let (mut facilitator, _) = server.join(code, Role::Facilitator, None, Some(&key)).await;
    let join = || Join { zone: Some("A".into()), ..Join::new(code, Role::Participant) };
    let (mut troll, mut kind) = (server.connect().await, server.connect().await);
    troll.join(join()).await.expect("joined");
    kind.join(join()).await.expect("joined");
    facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.expect("started");
    facilitator.request(ClientMsg::PhaseNext { from: None }).await.expect("collect");
    let bad = topic_of(&ok(&mut troll, LeanCoffeeMsg::TopicAdd { text: "Something offensive".into() }).await);
    let good = topic_of(&ok(&mut kind, LeanCoffeeMsg::TopicAdd { text: "Fewer meetings".into() }).await);
    table_where(&mut kind, |view| view.topics.len() == 2).await;
    let remove =
        |topic, retro| ClientMsg::ParticipantRemove { card: None, note: None, action: None, topic, retro };
    assert_eq!(
        facilitator.request(remove(Some(TopicId(99)), None)).await.map_err(|(code, _)| code).err(),
        Some(ErrorCode::UnknownItem)
    );
    facilitator.request(remove(Some(bad), None)).await.expect("removed");
    let view = table_where(&mut kind, |view| view.topics.len() == 1).await;
    assert_eq!(view.topics[0].id, good);
    let exported = export(&server, code, &key).await;
    let topics = &exported.activities[0].tables[0].topics;
    assert!(topics.iter().any(|topic| topic.id == bad && topic.hidden), "{topics:?}");
    assert!(exported.participants.iter().any(|participant| participant.removed));

    // The retrospective: its notes name their writer too.
    facilitator.request(ClientMsg::ActivityStart { index: 1, from: None }).await.expect("retro");
    facilitator.request(ClientMsg::PhaseNext { from: None }).await.expect("collect");
    let note = match kind
        .request(ClientMsg::Retro(RetroMsg::RetroAdd { column: 1, text: "Mean words".into() }))
        .await
    {
        Ok(ServerMsg::Ack { retro: Some(note), .. }) => note,
        other => panic!("no note: {other:?}"),
    };
    facilitator.request(remove(None, Some(note))).await.expect("removed");
    let exported = export(&server, code, &key).await;
    assert!(exported.activities[1].retro.iter().all(|shown| shown.id != note || shown.hidden));
    assert_eq!(exported.participants.iter().filter(|participant| participant.removed).count(), 2);
}
