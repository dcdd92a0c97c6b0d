//! Fan-out windows for a profiler: each round's span from the trigger to the last `hand`
//! received, on the system's monotonic clock, which is what `perf record -k CLOCK_MONOTONIC`
//! stamps its samples with. `scripts/profile-fanout` counts the CPU samples that fall inside
//! them, by process and by function, for Lapp's rounds and the bare server's.
//!
//! Lines: `process <lapp|bare|driver> <pid>` and `window <lapp|bare> <start_ns> <end_ns>`.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Context;
use rustix::time::{ClockId, clock_gettime};

pub struct Windows {
    file: Mutex<File>,
    /// One instant and the monotonic clock read at it: `Instant` reads that same clock, so
    /// any other instant converts exactly.
    anchor: (Instant, i128),
}

impl Windows {
    /// Appends to `path`, so a `scoring --baseline` run writes the bare server's windows and
    /// Lapp's into one file.
    pub fn append_to(path: &Path) -> anyhow::Result<Windows> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("open {}", path.display()))?;
        let anchor = (Instant::now(), monotonic_ns());
        let windows = Windows { file: Mutex::new(file), anchor };
        windows.line(&format!("process driver {}", std::process::id()));
        Ok(windows)
    }

    pub fn process(&self, what: &str, pid: u32) {
        self.line(&format!("process {what} {pid}"));
    }

    pub fn window(&self, what: &str, from: Instant, to: Instant) {
        self.line(&format!("window {what} {} {}", self.ns(from), self.ns(to)));
    }

    fn ns(&self, at: Instant) -> i128 {
        let (anchor, anchor_ns) = self.anchor;
        match at.checked_duration_since(anchor) {
            Some(after) => anchor_ns + after.as_nanos() as i128,
            None => anchor_ns - anchor.duration_since(at).as_nanos() as i128,
        }
    }

    fn line(&self, line: &str) {
        let mut file = self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // A profile with a window missing is still read; the run itself must not fail for it.
        if let Err(err) = writeln!(file, "{line}") {
            tracing::warn!(%err, "could not write a fan-out window");
        }
    }
}

fn monotonic_ns() -> i128 {
    let now = clock_gettime(ClockId::Monotonic);
    i128::from(now.tv_sec) * 1_000_000_000 + i128::from(now.tv_nsec)
}
