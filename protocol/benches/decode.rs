//! Reading one request frame, for the session's own requests and each method's: what every
//! connection does with every frame a phone sends.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use lapp_protocol::ClientFrame;

const FRAMES: [(&str, &str); 6] = [
    ("ping", r#"{"type":"ping","rid":7}"#),
    ("card.score (25/10)", r#"{"type":"card.score","rid":7,"card":"c12","score":4,"round":2}"#),
    ("note.star (1-3-9)", r#"{"type":"note.star","rid":7,"note":"n42","on":true}"#),
    ("note.add (1-3-9)", r#"{"type":"note.add","rid":7,"text":"Ask the users before we build"}"#),
    ("topic.add (Lean Coffee)", r#"{"type":"topic.add","rid":7,"text":"Fewer meetings"}"#),
    ("retro.add (retro)", r#"{"type":"retro.add","rid":7,"column":0,"text":"Good energy"}"#),
];

fn decode(c: &mut Criterion) {
    for (name, text) in FRAMES {
        assert!(ClientFrame::decode(text).is_ok(), "{name} decodes");
        c.bench_function(&format!("decode {name}"), |b| b.iter(|| ClientFrame::decode(black_box(text))));
    }
}

criterion_group!(benches, decode);
criterion_main!(benches);
