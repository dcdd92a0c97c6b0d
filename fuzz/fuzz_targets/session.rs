//! Fuzzes a session through the engines: each line of the input is a frame from one of a few
//! senders (joins included); whatever they send, deciding and applying never panics, and
//! replaying the events rebuilds the same session.
#![no_main]

use lapp_protocol::{AgendaItem, ClientFrame, ClientMsg, GroupingConfig, JoinCode, Language, Pid, Role, ScoringConfig};
use lapp_server::secret::Secret;
use lapp_server::session::{Context, Sender, Session, SessionRecord};
use libfuzzer_sys::fuzz_target;
use rand::SeedableRng;
use rand::rngs::StdRng;

fn record() -> SessionRecord {
    SessionRecord {
        code: JoinCode::from_number(123_456).expect("code"),
        title: "Fuzz".into(),
        key: Secret::generate(&mut StdRng::seed_from_u64(0)),
        agenda: vec![
            AgendaItem::Scoring { prompt: "Q".into(), config: ScoringConfig { rounds: 3, top: 10, max_chars: 40 } },
            AgendaItem::Grouping { prompt: "G".into(), config: GroupingConfig { sizes: vec![2, 4], max_chars: 40 } },
        ],
        created_at_ms: 0,
        language: Language::Bokmal,
    }
}

fuzz_target!(|bytes: &[u8]| {
    let mut rng = StdRng::seed_from_u64(1);
    let mut session = Session::new(record());
    let mut log = Vec::new();
    let mut present: Vec<Pid> = Vec::new();
    for (at, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let Some((&who, frame)) = line.split_first() else { continue };
        let Ok(text) = std::str::from_utf8(frame) else { continue };
        let Ok(frame) = ClientFrame::decode(text) else { continue };
        let events = match &frame.msg {
            ClientMsg::Join(join) => match session.admit(join, 50, &mut rng) {
                Ok(admitted) => admitted.event.into_iter().collect(),
                Err(_) => continue,
            },
            msg => {
                let sender = match who % 4 {
                    0 => Sender { role: Role::Facilitator, pid: None },
                    1 => Sender { role: Role::Screen, pid: None },
                    n => Sender { role: Role::Participant, pid: present.get(usize::from(n) + at % 7).copied() },
                };
                let context = Context { now_ms: at as u64 * 1_000, present: &present };
                match session.decide(sender, msg, &context, &mut rng) {
                    Ok(events) => events,
                    Err(_) => continue,
                }
            }
        };
        for event in events {
            if let lapp_server::session::SessionEvent::ParticipantJoined { pid, .. } = &event {
                present.push(*pid);
            }
            session.apply(&event);
            log.push(event);
        }
    }
    assert_eq!(Session::replay(record(), &log), session);
});
