//! Golden tests: each frame's exact JSON, decoded to its Rust form and encoded back.

use lapp_protocol::GroupingMsg;
use lapp_protocol::ScoringMsg;
use lapp_protocol::*;
use serde_json::{Value, json};

/// The client frame `text` decodes to `expected`, and `expected` encodes to the same JSON.
fn check_client(text: Value, expected: ClientFrame) {
    let decoded = ClientFrame::decode(&text.to_string()).expect("decodes");
    assert_eq!(decoded, expected, "decoding {text}");
    let encoded: Value = serde_json::from_str(&expected.encode()).expect("encodes to JSON");
    assert_eq!(encoded, text, "encoding {expected:?}");
}

/// The server frame `expected` encodes to exactly `text`, and `text` decodes back to it.
fn check_server(expected: ServerMsg, text: Value) {
    let encoded: Value = serde_json::from_str(&expected.encode()).expect("encodes to JSON");
    assert_eq!(encoded, text, "encoding {expected:?}");
    assert_eq!(ServerMsg::decode(&text.to_string()).expect("decodes"), expected, "decoding {text}");
}

fn code() -> JoinCode {
    "123456".parse().expect("valid code")
}

#[test]
fn client_frames() {
    check_client(
        json!({"type": "join", "v": 1, "code": "123456", "role": "participant", "name": "Kari", "zone": "A"}),
        ClientFrame::new(
            None,
            ClientMsg::Join(Join {
                v: 1,
                code: code(),
                role: Role::Participant,
                name: Some("Kari".into()),
                zone: Some("A".into()),
                resume: None,
                key: None,
            }),
        ),
    );
    check_client(
        json!({"type": "join", "v": 1, "code": "123456", "role": "facilitator", "key": "00ff"}),
        ClientFrame::new(
            None,
            ClientMsg::Join(Join {
                v: 1,
                code: code(),
                role: Role::Facilitator,
                name: None,
                zone: None,
                resume: None,
                key: Some("00ff".into()),
            }),
        ),
    );
    check_client(
        json!({"type": "join", "v": 1, "code": "000001", "role": "screen", "resume": "ab"}),
        ClientFrame::new(
            None,
            ClientMsg::Join(Join {
                v: 1,
                code: JoinCode::from_number(1).expect("code"),
                role: Role::Screen,
                name: None,
                zone: None,
                resume: Some("ab".into()),
                key: None,
            }),
        ),
    );
    check_client(
        json!({"type": "card.write", "rid": 1, "text": "Fewer forms"}),
        ClientFrame::new(Some(1), ClientMsg::Scoring(ScoringMsg::CardWrite { text: "Fewer forms".into() })),
    );
    check_client(
        json!({"type": "card.score", "rid": 2, "round": 3, "card": "c17", "score": 5}),
        ClientFrame::new(
            Some(2),
            ClientMsg::Scoring(ScoringMsg::CardScore {
                round: 3,
                card: CardId(17),
                score: Score::new(5).expect("score"),
            }),
        ),
    );
    check_client(
        json!({"type": "note.add", "rid": 3, "text": "Ask the users"}),
        ClientFrame::new(Some(3), ClientMsg::Grouping(GroupingMsg::NoteAdd { text: "Ask the users".into() })),
    );
    check_client(
        json!({"type": "note.star", "rid": 4, "note": "n40", "on": true}),
        ClientFrame::new(Some(4), ClientMsg::Grouping(GroupingMsg::NoteStar { note: NoteId(40), on: true })),
    );
    check_client(
        json!({"type": "activity.start", "rid": 5, "index": 0}),
        ClientFrame::new(Some(5), ClientMsg::ActivityStart { index: 0, from: None }),
    );
    check_client(
        json!({"type": "phase.next", "rid": 6}),
        ClientFrame::new(Some(6), ClientMsg::PhaseNext { from: None }),
    );
    check_client(
        json!({"type": "timer.set", "rid": 7, "seconds": 90, "advance": true}),
        ClientFrame::new(Some(7), ClientMsg::TimerSet { seconds: 90, advance: true }),
    );
    check_client(
        json!({"type": "card.hide", "rid": 8, "card": "c2", "hidden": true}),
        ClientFrame::new(Some(8), ClientMsg::Scoring(ScoringMsg::CardHide { card: CardId(2), hidden: true })),
    );
    check_client(
        json!({"type": "note.hide", "rid": 9, "note": "n2", "hidden": false}),
        ClientFrame::new(
            Some(9),
            ClientMsg::Grouping(GroupingMsg::NoteHide { note: NoteId(2), hidden: false }),
        ),
    );
    check_client(
        json!({"type": "reveal", "rid": 10, "count": 3}),
        ClientFrame::new(Some(10), ClientMsg::Scoring(ScoringMsg::Reveal { count: 3, shown: None })),
    );
    check_client(json!({"type": "ping"}), ClientFrame::new(None, ClientMsg::Ping {}));
    // A facilitator's requests name the state they expect to leave.
    let at_round =
        |round| Expected { index: Some(0), phase: Some(Phase::Round), round: Some(round), level: None };
    check_client(
        json!({"type": "phase.next", "rid": 11, "from": {"index": 0, "phase": "round", "round": 2}}),
        ClientFrame::new(Some(11), ClientMsg::PhaseNext { from: Some(at_round(2)) }),
    );
    check_client(
        json!({"type": "phase.back", "rid": 12, "from": {"index": 0, "phase": "round", "round": 3}}),
        ClientFrame::new(Some(12), ClientMsg::PhaseBack { from: Some(at_round(3)) }),
    );
    check_client(
        json!({"type": "activity.start", "rid": 13, "index": 1, "from": {}}),
        ClientFrame::new(Some(13), ClientMsg::ActivityStart { index: 1, from: Some(Expected::default()) }),
    );
    check_client(
        json!({"type": "activity.reset", "rid": 14, "index": 0}),
        ClientFrame::new(Some(14), ClientMsg::ActivityReset { index: 0, from: None }),
    );
    check_client(
        json!({"type": "reveal", "rid": 15, "count": 10, "shown": 1}),
        ClientFrame::new(Some(15), ClientMsg::Scoring(ScoringMsg::Reveal { count: 10, shown: Some(1) })),
    );
    check_client(
        json!({"type": "note.edit", "rid": 16, "note": "n4", "text": "Better"}),
        ClientFrame::new(
            Some(16),
            ClientMsg::Grouping(GroupingMsg::NoteEdit { note: NoteId(4), text: "Better".into() }),
        ),
    );
    check_client(
        json!({"type": "session.lock", "rid": 19, "locked": true}),
        ClientFrame::new(Some(19), ClientMsg::SessionLock { locked: true }),
    );
    check_client(
        json!({"type": "note.delete", "rid": 17, "note": "n4"}),
        ClientFrame::new(Some(17), ClientMsg::Grouping(GroupingMsg::NoteDelete { note: NoteId(4) })),
    );
    check_client(
        json!({"type": "agenda.set", "rid": 18, "agenda": [{"kind": "scoring", "prompt": "Q", "rounds": 5, "top": 10, "max_chars": 280}]}),
        ClientFrame::new(
            Some(18),
            ClientMsg::AgendaSet {
                agenda: vec![AgendaItem::Scoring {
                    prompt: "Q".into(),
                    config: ScoringConfig { rounds: 5, top: 10, max_chars: 280 },
                }],
            },
        ),
    );
}

#[test]
fn client_frames_ignore_unknown_fields_and_default_optional_ones() {
    let decoded =
        ClientFrame::decode(r#"{"type":"timer.set","seconds":5,"colour":"blue"}"#).expect("decodes");
    assert_eq!(decoded, ClientFrame::new(None, ClientMsg::TimerSet { seconds: 5, advance: false }));
    let decoded = ClientFrame::decode(r#"{"type":"phase.next","rid":1,"extra":{"a":[1]}}"#).expect("decodes");
    assert_eq!(decoded, ClientFrame::new(Some(1), ClientMsg::PhaseNext { from: None }));
}

fn entry(rank: u32, card: u32, text: &str, total: u32, count: u32) -> LeaderboardEntry {
    LeaderboardEntry { rank, card: CardId(card), text: text.into(), total, count }
}

#[test]
fn server_frames() {
    let agenda = vec![
        AgendaItem::Scoring { prompt: "What slows you down?".into(), config: ScoringConfig::default() },
        AgendaItem::Grouping { prompt: "What first?".into(), config: GroupingConfig::default() },
    ];
    let activity = ActivityInfo {
        index: 0,
        kind: ActivityKind::Scoring,
        prompt: "What slows you down?".into(),
        phase: Phase::Round,
        round: Some(2),
        level: None,
        deadline: Some(1_700_000_060_000),
        now: Some(1_700_000_000_000),
    };
    check_server(
        ServerMsg::Welcome(Box::new(Welcome {
            you: You { pid: Some(Pid(12)), name: Some("Kari".into()), role: Role::Participant },
            resume: Some("0123456789abcdef0123456789abcdef".into()),
            follow_up: None,
            session: SessionInfo {
                code: code(),
                title: "Dagen".into(),
                agenda,
                current: Some(0),
                language: Language::Bokmal,
                started: vec![0],
                locked: false,
                names: Names::Free,
            },
            view: View {
                activity: Some(activity.clone()),
                mine: Some(CardText { id: CardId(1), text: "Mine".into() }),
                hand: Some(Hand {
                    round: 2,
                    card: Some(CardText { id: CardId(7), text: "Theirs".into() }),
                    score: Some(Score::new(4).expect("score")),
                }),
                ..View::default()
            },
            version: Some("930387b369954857".into()),
        })),
        json!({
            "type": "welcome",
            "version": "930387b369954857",
            "you": {"pid": "p12", "name": "Kari", "role": "participant"},
            "resume": "0123456789abcdef0123456789abcdef",
            "session": {
                "code": "123456",
                "title": "Dagen",
                "agenda": [
                    {"kind": "scoring", "prompt": "What slows you down?", "rounds": 5, "top": 10, "max_chars": 280},
                    {"kind": "grouping", "prompt": "What first?", "sizes": [3, 9], "max_chars": 280}
                ],
                "current": 0,
                "language": "nb",
                "started": [0]
            },
            "view": {
                "activity": {
                    "index": 0, "kind": "scoring", "prompt": "What slows you down?", "phase": "round",
                    "round": 2, "deadline": 1_700_000_060_000u64, "now": 1_700_000_000_000u64
                },
                "mine": {"id": "c1", "text": "Mine"},
                "hand": {"round": 2, "card": {"id": "c7", "text": "Theirs"}, "score": 4}
            }
        }),
    );
    check_server(
        ServerMsg::Activity(ActivityInfo {
            index: 1,
            kind: ActivityKind::Grouping,
            prompt: "What first?".into(),
            phase: Phase::Level,
            round: None,
            level: Some(1),
            deadline: None,
            now: None,
        }),
        json!({"type": "activity", "index": 1, "kind": "grouping", "prompt": "What first?", "phase": "level", "level": 1}),
    );
    check_server(ServerMsg::Mine { card: None }, json!({"type": "mine", "card": null}));
    check_server(
        ServerMsg::Hand(Hand {
            round: 1,
            card: Some(CardText { id: CardId(3), text: "x".into() }),
            score: None,
        }),
        json!({"type": "hand", "round": 1, "card": {"id": "c3", "text": "x"}}),
    );
    check_server(
        ServerMsg::Hand(Hand { round: 4, card: None, score: None }),
        json!({"type": "hand", "round": 4, "card": null}),
    );
    check_server(
        ServerMsg::Progress(Progress {
            phase: Phase::Round,
            round: Some(1),
            level: None,
            participants: 30,
            connected: 29,
            cards: 29,
            handed: 29,
            scored: 12,
            groups: None,
            groups_starred: None,
            groups_empty: None,
            notes: None,
            solo_writers: None,
            sitting_out: Some(1),
            actions: None,
            leancoffee: None,
            retro: None,
        }),
        json!({"type": "progress", "phase": "round", "round": 1, "participants": 30, "connected": 29,
               "cards": 29, "handed": 29, "scored": 12, "sitting_out": 1}),
    );
    check_server(
        ServerMsg::Leaderboard(Leaderboard {
            entries: vec![entry(1, 4, "A", 25, 5), entry(2, 9, "B", 12, 3)],
            hidden: vec![CardText { id: CardId(5), text: "rude".into() }],
        }),
        json!({"type": "leaderboard",
               "entries": [{"rank": 1, "card": "c4", "text": "A", "total": 25, "count": 5},
                           {"rank": 2, "card": "c9", "text": "B", "total": 12, "count": 3}],
               "hidden": [{"id": "c5", "text": "rude"}]}),
    );
    check_server(
        ServerMsg::Results { yours: Some(Yours { total: 17, count: 5, rank: 3 }) },
        json!({"type": "results", "yours": {"total": 17, "count": 5, "rank": 3}}),
    );
    check_server(ServerMsg::Results { yours: None }, json!({"type": "results", "yours": null}));
    let note = NoteView {
        id: NoteId(40),
        text: "Ask".into(),
        stars: 2,
        from: Some(GroupId(3)),
        starred_by: vec![Pid(1), Pid(2)],
    };
    check_server(
        ServerMsg::Group(GroupView {
            level: 2,
            id: GroupId(8),
            label: "Blue fox 12".into(),
            members: vec![
                Member { pid: Pid(1), name: Some("Ola".into()) },
                Member { pid: Pid(2), name: None },
            ],
            notes: vec![note.clone()],
        }),
        json!({"type": "group", "level": 2, "id": "g8", "label": "Blue fox 12",
               "members": [{"pid": "p1", "name": "Ola"}, {"pid": "p2"}],
               "notes": [{"id": "n40", "text": "Ask", "stars": 2, "from": "g3", "starred_by": ["p1", "p2"]}]}),
    );
    // What changed in a group since its last `group`.
    check_server(
        ServerMsg::Notes { group: GroupId(8), notes: vec![note.clone()], removed: vec![NoteId(41)] },
        json!({"type": "notes", "group": "g8",
               "notes": [{"id": "n40", "text": "Ask", "stars": 2, "from": "g3", "starred_by": ["p1", "p2"]}],
               "removed": ["n41"]}),
    );
    check_server(
        ServerMsg::Poster {
            groups: vec![PosterGroup {
                id: GroupId(8),
                label: "Blue fox 12".into(),
                notes: vec![note.clone()],
            }],
            top: Vec::new(),
        },
        json!({"type": "poster", "groups": [{"id": "g8", "label": "Blue fox 12",
               "notes": [{"id": "n40", "text": "Ask", "stars": 2, "from": "g3", "starred_by": ["p1", "p2"]}]}]}),
    );
    // A phone's poster: its own final group, and the hall's most-starred notes.
    check_server(
        ServerMsg::Poster { groups: Vec::new(), top: vec![note] },
        json!({"type": "poster", "groups": [],
               "top": [{"id": "n40", "text": "Ask", "stars": 2, "from": "g3", "starred_by": ["p1", "p2"]}]}),
    );
    check_server(
        ServerMsg::Reveal(Reveal { count: 1, shown: None, entries: vec![entry(1, 4, "A", 25, 5)] }),
        json!({"type": "reveal", "count": 1,
               "entries": [{"rank": 1, "card": "c4", "text": "A", "total": 25, "count": 5}]}),
    );
    check_server(
        ServerMsg::Reveal(Reveal { count: 10, shown: Some(1), entries: vec![entry(10, 2, "J", 11, 5)] }),
        json!({"type": "reveal", "count": 10, "shown": 1,
               "entries": [{"rank": 10, "card": "c2", "text": "J", "total": 11, "count": 5}]}),
    );
    check_server(
        ServerMsg::Agenda {
            agenda: vec![AgendaItem::Grouping {
                prompt: "What first?".into(),
                config: GroupingConfig { sizes: vec![3, 9], max_chars: 280 },
            }],
            started: vec![0],
        },
        json!({"type": "agenda", "agenda": [{"kind": "grouping", "prompt": "What first?", "sizes": [3, 9], "max_chars": 280}],
               "started": [0]}),
    );
    check_server(
        ServerMsg::Feed {
            notes: vec![
                FeedNote {
                    id: NoteId(7),
                    text: "Ask".into(),
                    level: 1,
                    group: Some("Blue fox 1".into()),
                    hidden: false,
                    deleted: false,
                },
                FeedNote {
                    id: NoteId(8),
                    text: String::new(),
                    level: 0,
                    group: None,
                    hidden: false,
                    deleted: true,
                },
            ],
        },
        json!({"type": "feed", "notes": [{"id": "n7", "text": "Ask", "level": 1, "group": "Blue fox 1", "hidden": false},
                                         {"id": "n8", "text": "", "level": 0, "hidden": false, "deleted": true}]}),
    );
    check_server(ServerMsg::ack(3), json!({"type": "ack", "rid": 3}));
    check_server(
        ServerMsg::Ack {
            rid: 4,
            card: Some(CardId(17)),
            note: None,
            action: None,
            topic: None,
            item: None,
            retro: None,
        },
        json!({"type": "ack", "rid": 4, "card": "c17"}),
    );
    check_server(
        ServerMsg::Ack {
            rid: 5,
            card: None,
            note: Some(NoteId(3)),
            action: None,
            topic: None,
            item: None,
            retro: None,
        },
        json!({"type": "ack", "rid": 5, "note": "n3"}),
    );
    check_server(
        ServerMsg::error(Some(6), ErrorCode::WrongPhase, "not now"),
        json!({"type": "error", "rid": 6, "code": "wrong_phase", "message": "not now"}),
    );
    check_server(
        ServerMsg::error(None, ErrorCode::BadJson, "?"),
        json!({"type": "error", "code": "bad_json", "message": "?"}),
    );
    check_server(ServerMsg::Pong {}, json!({"type": "pong"}));
    check_server(ServerMsg::Lock { locked: true }, json!({"type": "lock", "locked": true}));
    check_server(
        ServerMsg::Progress(Progress {
            phase: Phase::Level,
            round: None,
            level: Some(2),
            participants: 23,
            connected: 22,
            cards: 0,
            handed: 0,
            scored: 0,
            groups: Some(3),
            groups_starred: Some(1),
            groups_empty: Some(1),
            notes: Some(40),
            solo_writers: Some(20),
            sitting_out: None,
            actions: None,
            leancoffee: None,
            retro: None,
        }),
        json!({"type": "progress", "phase": "level", "level": 2, "participants": 23, "connected": 22,
               "cards": 0, "handed": 0, "scored": 0, "groups": 3, "groups_starred": 1, "groups_empty": 1,
               "notes": 40, "solo_writers": 20}),
    );
}

/// A bad frame gets `code`, and the `rid` when one could be read.
fn check_error(text: &str, code: ErrorCode, rid: Option<u64>) {
    let err = ClientFrame::decode(text).expect_err(text);
    assert_eq!((err.code, err.rid), (code, rid), "{text}: {}", err.message);
    assert!(!err.message.is_empty());
}

#[test]
fn bad_frames_get_their_error_codes() {
    use ErrorCode::*;
    check_error("{", BadJson, None);
    check_error("[1,2]", BadJson, None);
    check_error("\"join\"", BadJson, None);
    check_error(r#"{"rid":1}"#, BadJson, Some(1));
    check_error(r#"{"type":7,"rid":1}"#, BadJson, Some(1));
    check_error(r#"{"type":"card.write","rid":-1,"text":"x"}"#, BadJson, None);
    check_error(r#"{"type":"card.write","rid":1}"#, BadJson, Some(1));
    check_error(r#"{"type":"card.write","rid":1,"text":5}"#, BadJson, Some(1));
    check_error(r#"{"type":"dance","rid":2}"#, UnknownType, Some(2));
    check_error(r#"{"type":"join","v":2,"code":"123456","role":"screen"}"#, UnsupportedVersion, None);
    check_error(r#"{"type":"join","v":1,"code":"12345","role":"screen"}"#, UnknownSession, None);
    check_error(r#"{"type":"join","v":1,"code":"123456","role":"king"}"#, BadJson, None);
    for score in ["0", "6", "2.5", "\"5\"", "-1", "null", "300"] {
        let text = format!(r#"{{"type":"card.score","rid":3,"round":1,"card":"c1","score":{score}}}"#);
        check_error(&text, InvalidScore, Some(3));
    }
    check_error(r#"{"type":"card.score","rid":3,"round":1,"card":"c1"}"#, InvalidScore, Some(3));
    check_error(r#"{"type":"card.score","rid":4,"round":1,"card":"x1","score":3}"#, UnknownItem, Some(4));
    check_error(r#"{"type":"card.score","rid":4,"round":-1,"card":"c1","score":3}"#, BadJson, Some(4));
    check_error(r#"{"type":"note.star","rid":5,"note":"c1","on":true}"#, UnknownItem, Some(5));
    check_error(r#"{"type":"card.hide","rid":6,"card":"c+1","hidden":true}"#, UnknownItem, Some(6));
    let nested = format!(r#"{{"type":"ping","x":{}{}}}"#, "[".repeat(1000), "]".repeat(1000));
    check_error(&nested, BadJson, None);
    let huge = format!(r#"{{"type":"card.write","text":"{}"}}"#, "x".repeat(20_000));
    check_error(&huge, TooLarge, None);
}
