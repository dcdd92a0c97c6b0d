//! Micro-actions over real sockets: a hall of 31 in three zones writes, pairs by code (with a
//! request declined, one withdrawn, one to one's own code and one to someone taken), leaves
//! contact lines, is paired at random when pairing closes, and a late joiner and a returning
//! phone get buddies at the wall. The follow-up link then works without joining, survives a
//! restart, and gives a calendar; the export has the actions and never a contact line.

mod support;

use std::sync::Arc;

use lapp_protocol::{
    ActionsMsg, ClientMsg, ErrorCode, FollowUp, Join, OwnAction, Pid, Role, ServerMsg, SessionCreated,
    Status, Welcome,
};
use lapp_server::store::{MemoryStore, Store};
use lapp_server::{Config, Limits};
use serde_json::json;
use support::{Client, TestServer};

const ZONES: [&str; 3] = ["A", "B", "C"];

fn act(msg: ActionsMsg) -> ClientMsg {
    ClientMsg::Actions(msg)
}

/// A participant's own side as the latest `action` frame they received shows it.
async fn latest(client: &mut Client) -> OwnAction {
    client.drain_for(std::time::Duration::from_millis(100)).await;
    let log = client.log();
    log.iter()
        .rev()
        .find_map(|msg| if let ServerMsg::Action(own) = msg { Some(own.clone()) } else { None })
        .expect("an action frame")
}

async fn server_on(store: Arc<dyn Store>) -> TestServer {
    TestServer::start_with_config(Config { limits: Limits::default(), ..Config::new(store) }).await
}

#[tokio::test]
async fn a_hall_pairs_up_and_follows_up_after_a_restart() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::default());
    let server = server_on(store.clone()).await;
    let (status, body) = server
        .post_session(
            &json!({"title": "Day of actions", "language": "en",
                "agenda": [{"kind": "actions", "prompt": "What will you start tomorrow?", "follow_up_days": [7, 30]}]})
            .to_string(),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let created: SessionCreated = serde_json::from_value(body).expect("created");
    let code = created.code;
    let (mut facilitator, _) = server.join(code, Role::Facilitator, None, Some(&created.key)).await;
    let (mut screen, _) = server.join(code, Role::Screen, None, None).await;
    let mut people: Vec<(Client, Welcome)> = Vec::new();
    for index in 0..31 {
        let mut client = server.connect().await;
        let join = Join {
            name: Some(format!("P{index}")),
            zone: Some(ZONES[index % 3].into()),
            ..Join::new(code, Role::Participant)
        };
        let welcome = client.join(join).await.expect("joined");
        people.push((client, welcome));
    }
    let pid = |people: &[(Client, Welcome)], at: usize| people[at].1.you.pid.expect("pid");

    facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.expect("started");
    // Nothing to write before writing opens.
    let early = people[0].0.request(act(ActionsMsg::ActionWrite { text: "I will".into() })).await;
    assert_eq!(early.map_err(|(code, _)| code).err(), Some(ErrorCode::WrongPhase));
    facilitator.request(ClientMsg::PhaseNext { from: None }).await.expect("writing");
    for (index, (client, _)) in people.iter_mut().enumerate().take(30) {
        let ack =
            client.request(act(ActionsMsg::ActionWrite { text: format!("I will try thing {index}") })).await;
        assert!(matches!(ack, Ok(ServerMsg::Ack { action: Some(_), .. })), "{ack:?}");
    }
    let empty = people[0].0.request(act(ActionsMsg::ActionWrite { text: "  ".into() })).await;
    assert_eq!(empty.map_err(|(code, _)| code).err(), Some(ErrorCode::EmptyText));
    let long = people[0].0.request(act(ActionsMsg::ActionWrite { text: "x".repeat(281) })).await;
    assert_eq!(long.map_err(|(code, _)| code).err(), Some(ErrorCode::TextTooLong));

    facilitator.request(ClientMsg::PhaseNext { from: None }).await.expect("pairing");
    let mut codes = Vec::new();
    for (client, _) in people.iter_mut().take(30) {
        codes.push(latest(client).await.code.expect("a buddy code while pairing"));
    }
    let ask = |code: &str| act(ActionsMsg::BuddyAsk { code: code.to_owned() });
    let refused = |answer: Result<ServerMsg, (ErrorCode, String)>| answer.map_err(|(code, _)| code).err();
    assert_eq!(refused(people[0].0.request(ask(&codes[0])).await), Some(ErrorCode::Yourself));
    assert_eq!(refused(people[0].0.request(ask("12345")).await), Some(ErrorCode::UnknownItem));
    assert_eq!(
        refused(people[30].0.request(ask(&codes[1])).await),
        Some(ErrorCode::UnknownItem),
        "no action"
    );
    // Asked, declined; asked, withdrawn (the late answer is refused); asked, accepted.
    people[0].0.request(ask(&codes[1])).await.expect("asked");
    let from = pid(&people, 0);
    assert_eq!(latest(&mut people[1].0).await.asking.first().map(|person| person.pid), Some(from));
    people[1].0.request(act(ActionsMsg::BuddyAnswer { pid: from, accept: false })).await.expect("declined");
    people[0].0.request(ask(&codes[1])).await.expect("asked again");
    people[0].0.request(act(ActionsMsg::BuddyWithdraw {})).await.expect("withdrawn");
    let late = people[1].0.request(act(ActionsMsg::BuddyAnswer { pid: from, accept: true })).await;
    assert_eq!(refused(late), Some(ErrorCode::UnknownItem), "a withdrawn request cannot be accepted");
    people[0].0.request(ask(&codes[1])).await.expect("asked a third time");
    people[1].0.request(act(ActionsMsg::BuddyAnswer { pid: from, accept: true })).await.expect("accepted");
    assert_eq!(refused(people[2].0.request(ask(&codes[1])).await), Some(ErrorCode::Taken));
    // Codes guessed over and over: ten wrong ones a minute, then even a right one waits.
    let wrong: Vec<String> =
        (0..10_000).map(|n| format!("{n:04}")).filter(|code| !codes.contains(code)).take(10).collect();
    for code in &wrong {
        assert_eq!(refused(people[6].0.request(ask(code)).await), Some(ErrorCode::UnknownItem));
    }
    assert_eq!(refused(people[6].0.request(ask(&codes[7])).await), Some(ErrorCode::RateLimited));
    assert_eq!(refused(people[8].0.request(ask(&codes[7])).await), None, "others may still ask");
    // Two who ask each other are paired at once.
    people[3].0.request(ask(&codes[4])).await.expect("asked");
    people[4].0.request(ask(&codes[3])).await.expect("asked back");
    assert_eq!(latest(&mut people[3].0).await.buddies.first().map(|b| b.pid), Some(pid(&people, 4)));

    // Contact lines: seen by the buddy only once both left one.
    people[0].0.request(act(ActionsMsg::ContactSet { text: "kari@example.no".into() })).await.expect("set");
    let buddy = latest(&mut people[1].0).await.buddies[0].clone();
    assert_eq!((buddy.pid, buddy.contact), (from, None), "not mutual yet");
    people[1].0.request(act(ActionsMsg::ContactSet { text: "+47 400 00 000".into() })).await.expect("set");
    assert_eq!(latest(&mut people[1].0).await.buddies[0].contact.as_deref(), Some("kari@example.no"));
    assert_eq!(latest(&mut people[0].0).await.buddies[0].contact.as_deref(), Some("+47 400 00 000"));

    // One phone is away when pairing closes; everyone else who wrote gets a buddy.
    let (away, away_welcome) = people.remove(5);
    drop(away.leave().await);
    facilitator.request(ClientMsg::PhaseNext { from: None }).await.expect("wall");
    for (index, (client, _)) in people.iter_mut().enumerate().take(29) {
        let own = latest(client).await;
        assert!(!own.buddies.is_empty(), "participant {index} was left alone");
        assert!(own.buddies.len() <= 2);
        assert!(own.code.is_none(), "no code once pairing closed");
    }
    assert!(latest(&mut people[29].0).await.buddies.is_empty(), "someone without an action gets no buddy");
    // The late joiner and the returning phone get buddies at once.
    let (_back, welcome) = server.resume(code, &away_welcome).await;
    let own = welcome.view.action.expect("their action in the welcome");
    assert!(!own.buddies.is_empty(), "the returning phone got a buddy");
    let mut newcomer = server.connect().await;
    newcomer
        .join(Join { zone: Some("B".into()), ..Join::new(code, Role::Participant) })
        .await
        .expect("joined");
    newcomer
        .request(act(ActionsMsg::ActionWrite { text: "I will arrive earlier".into() }))
        .await
        .expect("written");
    assert!(!latest(&mut newcomer).await.buddies.is_empty(), "the late joiner got a buddy");
    let trios = {
        let export = server.export(code, &created.key).await;
        let actions = export["activities"][0]["actions"].as_array().expect("actions").clone();
        assert_eq!(actions.len(), 31);
        assert!(!export.to_string().contains("kari@example.no"), "contact lines are never exported");
        actions.iter().filter(|action| action["buddies"].as_array().is_some_and(|b| b.len() == 2)).count()
    };
    // At most one trio from closing pairing, and one for each of the two who came late.
    assert!(trios <= 3 * 3, "few trios: {trios} people in them");

    // The wall: shown by choice, anonymous, and a facilitator can take one off.
    people[2].0.request(act(ActionsMsg::ActionWall { shown: true })).await.expect("shown");
    // The screen is told only what changed, once a tick.
    let (shown, update) = screen
        .until(|msg| match msg {
            ServerMsg::Wall { actions, update, .. } if !actions.is_empty() => {
                Some((actions.clone(), *update))
            }
            _ => None,
        })
        .await;
    assert!(update);
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].text, "I will try thing 2");
    facilitator
        .request(act(ActionsMsg::ActionHide { action: shown[0].id, hidden: true }))
        .await
        .expect("hidden");
    let removed = screen
        .until(|msg| match msg {
            ServerMsg::Wall { removed, update: true, .. } if !removed.is_empty() => Some(removed.clone()),
            _ => None,
        })
        .await;
    assert_eq!(removed, vec![shown[0].id]);
    facilitator
        .request(act(ActionsMsg::ActionHide { action: shown[0].id, hidden: false }))
        .await
        .expect("shown again");

    // The follow-up link works without joining, and a forged one is refused.
    let token = people[0].1.follow_up.clone().expect("a follow-up token");
    let http = reqwest::Client::new();
    let link =
        |server: &TestServer, token: &str| server.url(&format!("/api/sessions/{code}/follow-up/{token}"));
    let set = http
        .post(link(&server, &token))
        .json(&json!({"index": 0, "status": "done", "note": "Started on Monday"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(set.status(), 200);
    let forged = http.get(link(&server, &"0".repeat(32))).send().await.expect("GET");
    assert_eq!(forged.status(), 404);
    let someone_else =
        http.post(link(&server, &token)).json(&json!({"index": 5, "status": "done"})).send().await;
    assert_eq!(someone_else.expect("POST").status(), 400, "no such activity");
    server.shut_down().await;

    let server = server_on(store).await;
    let view: FollowUp =
        http.get(link(&server, &token)).send().await.expect("GET").json().await.expect("JSON");
    assert_eq!(view.title, "Day of actions");
    let item = &view.actions[0];
    assert_eq!((item.text.as_str(), item.status), ("I will try thing 0", Status::Done));
    assert_eq!(item.note.as_deref(), Some("Started on Monday"));
    assert_eq!(item.buddies[0].pid, Pid(2));
    assert_eq!(item.buddies[0].action.as_deref(), Some("I will try thing 1"));
    assert_eq!(item.buddies[0].contact.as_deref(), Some("+47 400 00 000"));
    let calendar =
        http.get(format!("{}/calendar.ics?index=0", link(&server, &token))).send().await.expect("ics");
    assert!(calendar.headers()["content-type"].to_str().expect("type").starts_with("text/calendar"));
    let calendar = calendar.text().await.expect("text");
    assert!(calendar.starts_with("BEGIN:VCALENDAR\r\n") && calendar.ends_with("END:VCALENDAR\r\n"));
    assert_eq!(calendar.matches("BEGIN:VEVENT").count(), 2);
    assert_eq!(calendar.matches("BEGIN:VALARM").count(), 2);
    assert!(calendar.contains("I will try thing 0"));
    assert!(calendar.lines().all(|line| line.len() <= 75));

    let summary = http
        .get(server.url(&format!("/api/sessions/{code}/summary?format=md")))
        .bearer_auth(&created.key)
        .send()
        .await
        .expect("summary");
    assert_eq!(summary.status(), 200);
    let summary = summary.text().await.expect("text");
    assert!(summary.starts_with("# Day of actions"), "{summary}");
    assert!(summary.contains("- I will try thing 2"), "{summary}");
    assert!(summary.contains("31 actions written") && summary.contains("1 done"), "{summary}");
    assert!(!summary.contains("kari@example.no"));
    let html = http
        .get(server.url(&format!("/api/sessions/{code}/summary?format=html")))
        .bearer_auth(&created.key)
        .send()
        .await
        .expect("summary");
    assert!(html.text().await.expect("html").contains("<li>I will try thing 2</li>"));
    let no_key =
        http.get(server.url(&format!("/api/sessions/{code}/summary"))).send().await.expect("summary");
    assert_eq!(no_key.status(), 403);
    server.shut_down().await;
}

/// A session whose actions are followed up is kept past `--retention-days` until a week after
/// its last follow-up day; an old session without any action is not.
#[tokio::test]
async fn follow_ups_outlive_the_retention() {
    use lapp_protocol::{ActionId, AgendaItem, JoinCode, Language, Names};
    use lapp_server::engine::actions::ActionsEvent;
    use lapp_server::method::MethodEvent;
    use lapp_server::secret::{Secret, SecretHash};
    use lapp_server::session::{SessionEvent, SessionRecord};
    use rand::SeedableRng;

    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let day = 86_400_000;
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis() as u64;
    let store: Arc<dyn Store> = Arc::new(MemoryStore::default());
    let record = |code, agenda: serde_json::Value, days_ago: u64| SessionRecord {
        code: JoinCode::from_number(code).expect("code"),
        title: "Long ago".into(),
        key: SecretHash::of(&Secret::generate(&mut rand::rngs::StdRng::seed_from_u64(code.into()))),
        agenda: serde_json::from_value::<Vec<AgendaItem>>(agenda).expect("agenda"),
        created_at_ms: now - days_ago * day,
        language: Language::English,
        names: Names::Free,
    };
    // 35 days old: past the 30 days' retention, within 30 + 7 days of follow-ups.
    let actions_agenda = || json!([{"kind": "actions", "prompt": "Tomorrow?", "follow_up_days": [30]}]);
    let followed = record(111_111, actions_agenda(), 35);
    let forgotten = record(222_222, json!([{"kind": "scoring", "prompt": "Why?"}]), 40);
    let over = record(333_333, actions_agenda(), 35);
    let long_over = record(444_444, actions_agenda(), 38);
    for stored in [&followed, &forgotten, &over, &long_over] {
        store.create(stored).expect("create");
    }
    let actions =
        |index| SessionEvent::Method(MethodEvent::Actions { index, event: ActionsEvent::WritingOpened });
    let written = SessionEvent::Method(MethodEvent::Actions {
        index: 0,
        event: ActionsEvent::ActionWritten {
            pid: Pid(1),
            action: ActionId(1),
            text: "I will".into(),
            code: 1234,
        },
    });
    let joined = SessionEvent::ParticipantJoined {
        pid: Pid(1),
        name: None,
        zone: None,
        resume: SecretHash::of(&Secret::generate(&mut rng)),
        follow_up: None,
    };
    let events = [SessionEvent::ActivityStarted { index: 0 }, actions(0), joined, written];
    store.append(followed.code, &events).expect("append");
    store.append(long_over.code, &events).expect("append");
    // An actions activity in which nobody wrote anything has nothing to follow up.
    let mut over_events = events.to_vec();
    over_events.truncate(3);
    store.append(over.code, &over_events).expect("append");

    let server = server_on(store).await;
    let status = |code: JoinCode| {
        let url = server.url(&format!("/api/sessions/{code}"));
        async move { reqwest::get(url).await.expect("GET").status().as_u16() }
    };
    assert_eq!(status(followed.code).await, 200, "followed up for another week");
    assert_eq!(status(forgotten.code).await, 404, "past its retention");
    assert_eq!(status(over.code).await, 404, "no action was written, so nothing to follow up");
    assert_eq!(status(long_over.code).await, 404, "a week past its last follow-up day");
    server.shut_down().await;
}

/// Every acknowledged action, pairing, contact line and status survives `kill -9` of the real
/// binary on SQLite, and the follow-up link still works after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_9_loses_no_acknowledged_action_pairing_or_status() {
    use support::LappProcess;

    let data = tempfile::tempdir().expect("temp dir");
    let addr = LappProcess::free_addr();
    let mut lapp = LappProcess::start(data.path(), addr).await;
    let http = reqwest::Client::new();
    let body = json!({"title": "Crash day", "agenda": [{"kind": "actions", "prompt": "Tomorrow?"}]});
    let created: SessionCreated = http
        .post(lapp.url("/api/sessions"))
        .json(&body)
        .send()
        .await
        .expect("POST")
        .json()
        .await
        .expect("created");
    let code = created.code;
    let connect = |join: Join| async move {
        let mut client = Client::connect(addr).await;
        let welcome = client.join(join).await.expect("joined");
        (client, welcome)
    };
    let (mut facilitator, _) =
        connect(Join { key: Some(created.key.clone()), ..Join::new(code, Role::Facilitator) }).await;
    facilitator.request(ClientMsg::ActivityStart { index: 0, from: None }).await.expect("started");
    facilitator.request(ClientMsg::PhaseNext { from: None }).await.expect("writing");
    let mut people = Vec::new();
    for index in 0..6 {
        let (mut client, welcome) = connect(Join::new(code, Role::Participant)).await;
        client
            .request(act(ActionsMsg::ActionWrite { text: format!("I will {index}") }))
            .await
            .expect("written");
        people.push((client, welcome));
    }
    facilitator.request(ClientMsg::PhaseNext { from: None }).await.expect("pairing");
    let code_of = |own: OwnAction| own.code.expect("a code");
    let second = code_of(latest(&mut people[1].0).await);
    people[0].0.request(act(ActionsMsg::BuddyAsk { code: second })).await.expect("asked");
    let first = people[0].1.you.pid.expect("pid");
    people[1].0.request(act(ActionsMsg::BuddyAnswer { pid: first, accept: true })).await.expect("paired");
    for (client, _) in people.iter_mut().take(2) {
        client.request(act(ActionsMsg::ContactSet { text: "call me".into() })).await.expect("contact");
    }
    let status = ActionsMsg::ActionStatus { status: Status::Started, note: Some("begun".into()) };
    people[0].0.request(act(status)).await.expect("status");
    facilitator.request(ClientMsg::PhaseNext { from: None }).await.expect("wall");
    let before = latest(&mut people[2].0).await.buddies;
    assert_eq!(before.len(), 1, "paired at random when pairing closed");

    lapp.kill();
    let lapp = LappProcess::start(data.path(), addr).await;
    let (_, welcome) =
        connect(Join { resume: people[0].1.resume.clone(), ..Join::new(code, Role::Participant) }).await;
    let own = welcome.view.action.expect("the action");
    assert_eq!(own.text.as_deref(), Some("I will 0"));
    assert_eq!((own.status, own.buddies.len()), (Status::Started, 1));
    assert_eq!(own.buddies[0].contact.as_deref(), Some("call me"), "the contact line, mutual, kept");
    let (_, welcome) =
        connect(Join { resume: people[2].1.resume.clone(), ..Join::new(code, Role::Participant) }).await;
    assert_eq!(welcome.view.action.expect("the action").buddies, before, "the random pairing kept");
    let token = people[0].1.follow_up.clone().expect("token");
    let view: FollowUp = http
        .get(lapp.url(&format!("/api/sessions/{code}/follow-up/{token}")))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert_eq!((view.actions[0].status, view.actions[0].note.as_deref()), (Status::Started, Some("begun")));
}
