//! Fuzzes frame decoding: any bytes give a frame or an error code, never a panic, and a
//! decoded frame encodes back to itself.
#![no_main]

use lapp_protocol::ClientFrame;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    if let Ok(frame) = ClientFrame::decode(text) {
        assert_eq!(ClientFrame::decode(&frame.encode()), Ok(frame));
    }
});
