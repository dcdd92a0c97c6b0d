//! Whatever arrives, the decoder answers with a frame or an error code; it never panics.

use lapp_protocol::{ClientFrame, ErrorCode};
use proptest::prelude::*;

/// Text shaped like frames, so the fuzzing reaches past the JSON parser.
fn framelike() -> impl Strategy<Value = String> {
    let types = prop_oneof![
        Just("join".to_owned()),
        Just("card.write".to_owned()),
        Just("card.score".to_owned()),
        Just("note.add".to_owned()),
        Just("note.star".to_owned()),
        Just("activity.start".to_owned()),
        Just("phase.next".to_owned()),
        Just("timer.set".to_owned()),
        Just("card.hide".to_owned()),
        Just("note.hide".to_owned()),
        Just("reveal".to_owned()),
        Just("ping".to_owned()),
        ".*".prop_map(|s: String| s),
    ];
    let value = prop_oneof![
        Just("null".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| n.to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        ".{0,20}".prop_map(|s| serde_json::to_string(&s).unwrap_or_default()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
    ];
    let field = prop_oneof![
        Just("v"),
        Just("code"),
        Just("role"),
        Just("rid"),
        Just("round"),
        Just("card"),
        Just("score"),
        Just("note"),
        Just("text"),
        Just("key"),
        Just("resume"),
        Just("on"),
        Just("index"),
        Just("seconds"),
    ];
    (types, prop::collection::vec((field, value), 0..8)).prop_map(|(kind, fields)| {
        let mut text = format!("{{\"type\":{}", serde_json::to_string(&kind).unwrap_or_default());
        for (name, value) in fields {
            text.push_str(&format!(",\"{name}\":{value}"));
        }
        text.push('}');
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4_000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        if let Err(err) = ClientFrame::decode(&text) {
            prop_assert!(!err.message.is_empty());
        }
    }

    #[test]
    fn framelike_text_never_panics_and_decoded_frames_round_trip(text in framelike()) {
        match ClientFrame::decode(&text) {
            Ok(frame) => prop_assert_eq!(ClientFrame::decode(&frame.encode()), Ok(frame)),
            Err(err) => prop_assert!(err.code != ErrorCode::Internal && !err.message.is_empty()),
        }
    }
}
