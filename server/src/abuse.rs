//! Per-address bounds against floods and guessing: connections held at once, sessions
//! created per hour, failed joins per minute; and the per-connection message budget.
//!
//! A conference hall often reaches the server through one NAT address, so the per-address
//! defaults are generous; they stop a script, not a hall.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use tokio::time::Instant;

/// Counts events per address in fixed windows.
#[derive(Debug, Default)]
pub struct Windows {
    counts: DashMap<IpAddr, (Instant, u32)>,
}

impl Windows {
    /// Counts one event from `address`; false if it is over `limit` in the current `window`.
    pub fn allow(&self, address: IpAddr, limit: u32, window: Duration) -> bool {
        let now = Instant::now();
        if self.counts.len() > 100_000 {
            // Forget addresses whose window has passed, so the map stays bounded.
            self.counts.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let mut entry = self.counts.entry(address).or_insert((now, 0));
        let (start, count) = entry.value_mut();
        if now.duration_since(*start) >= window {
            (*start, *count) = (now, 0);
        }
        *count = count.saturating_add(1);
        *count <= limit
    }

    /// Whether `address` is already over `limit` in the current window, without counting.
    pub fn exceeded(&self, address: IpAddr, limit: u32, window: Duration) -> bool {
        self.counts
            .get(&address)
            .is_some_and(|entry| Instant::now().duration_since(entry.0) < window && entry.1 >= limit)
    }
}

/// Connections open per address.
#[derive(Debug, Default)]
pub struct Connections {
    open: DashMap<IpAddr, u32>,
}

/// Holds one connection's place; giving it back on drop.
#[derive(Debug)]
pub struct ConnectionSlot {
    connections: Arc<Connections>,
    address: IpAddr,
}

impl Connections {
    /// A slot for one more connection from `address`, if it has fewer than `limit` open.
    pub fn open(self: &Arc<Self>, address: IpAddr, limit: u32) -> Option<ConnectionSlot> {
        let mut open = self.open.entry(address).or_insert(0);
        if *open >= limit {
            return None;
        }
        *open += 1;
        Some(ConnectionSlot { connections: Arc::clone(self), address })
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        if let dashmap::Entry::Occupied(mut open) = self.connections.open.entry(self.address) {
            *open.get_mut() -= 1;
            if *open.get() == 0 {
                open.remove();
            }
        }
    }
}

/// A token bucket: `per_second` messages on average, `burst` at once.
#[derive(Debug)]
pub struct Budget {
    tokens: f64,
    per_second: f64,
    burst: f64,
    last: Instant,
}

impl Budget {
    pub fn new(per_second: u32, burst: u32) -> Budget {
        Budget {
            tokens: f64::from(burst),
            per_second: f64::from(per_second),
            burst: f64::from(burst),
            last: Instant::now(),
        }
    }

    /// Spends one message; false when the budget is used up.
    pub fn spend(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * self.per_second;
        self.tokens = (self.tokens + refill).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn windows_count_per_address_and_reset() {
        let windows = Windows::default();
        let (one, two) = (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)));
        let minute = Duration::from_secs(60);
        assert!((0..3).all(|_| windows.allow(one, 3, minute)));
        assert!(!windows.allow(one, 3, minute));
        assert!(windows.exceeded(one, 3, minute));
        assert!(windows.allow(two, 3, minute), "another address has its own count");
        tokio::time::advance(minute).await;
        assert!(!windows.exceeded(one, 3, minute));
        assert!(windows.allow(one, 3, minute), "a new window starts afresh");
    }

    #[test]
    fn connection_slots_are_given_back() {
        let connections = Arc::new(Connections::default());
        let address = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let first = connections.open(address, 2).expect("room");
        let second = connections.open(address, 2).expect("room");
        assert!(connections.open(address, 2).is_none());
        drop(first);
        assert!(connections.open(address, 2).is_some());
        drop(second);
    }

    #[tokio::test(start_paused = true)]
    async fn budgets_refill_over_time() {
        let mut budget = Budget::new(10, 5);
        assert!((0..5).all(|_| budget.spend()));
        assert!(!budget.spend());
        tokio::time::advance(Duration::from_millis(100)).await;
        assert!(budget.spend(), "one message back after a tenth of a second");
        assert!(!budget.spend());
    }
}

/// One participant's wrong guesses, counted in windows of a minute from the first.
#[derive(Debug, Default)]
pub struct Misses {
    since: Option<Instant>,
    count: u32,
}

impl Misses {
    /// Whether another guess may be tried: fewer than `limit` missed this minute.
    pub fn allowed(&mut self, limit: u32) -> bool {
        if self.since.is_some_and(|since| since.elapsed() >= Duration::from_secs(60)) {
            *self = Misses::default();
        }
        self.count < limit
    }

    pub fn missed(&mut self) {
        self.since.get_or_insert_with(Instant::now);
        self.count += 1;
    }
}

/// Spaces out arrivals: `per_second` at once, then one every `1 / per_second` (a token bucket,
/// kept as the moment the next arrival would be on time).
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    /// How far ahead of time an arrival may go in: the burst.
    tolerance: Duration,
    due: std::sync::Mutex<Option<Instant>>,
}

impl Pacer {
    /// `per_second` of 0 lets everyone in at once.
    pub fn new(per_second: u32) -> Pacer {
        let interval = match per_second {
            0 => Duration::ZERO,
            n => Duration::from_secs(1) / n,
        };
        Pacer { interval, tolerance: interval * per_second.saturating_sub(1), due: Default::default() }
    }

    /// When the next arrival may go in, if that is within `patience`; an arrival refused
    /// takes no turn.
    pub fn turn(&self, patience: Duration) -> Option<Instant> {
        let now = Instant::now();
        // Every change under the lock is one assignment.
        let mut due = self.due.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let on_time = due.map_or(now, |due| due.max(now));
        let turn = on_time.checked_sub(self.tolerance).map_or(now, |early| early.max(now));
        if turn.duration_since(now) > patience {
            return None;
        }
        *due = Some(on_time + self.interval);
        Some(turn)
    }
}

#[cfg(test)]
mod pacer_tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_goes_in_at_once_and_the_rest_one_by_one() {
        let pacer = Pacer::new(5);
        let start = Instant::now();
        let turns: Vec<Duration> =
            (0..8).map(|_| pacer.turn(Duration::from_secs(60)).expect("a turn") - start).collect();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(turns, [ms(0), ms(0), ms(0), ms(0), ms(0), ms(200), ms(400), ms(600)]);
        // Past the patience: refused, and no turn taken.
        assert_eq!(pacer.turn(ms(700)), None);
        assert_eq!(pacer.turn(ms(800)).map(|turn| turn - start), Some(ms(800)));
        // After a quiet second the burst is back.
        tokio::time::advance(Duration::from_secs(3)).await;
        let now = Instant::now();
        assert!((0..5).all(|_| pacer.turn(Duration::ZERO) == Some(now)));
        assert_eq!(pacer.turn(Duration::ZERO), None);
    }

    #[tokio::test(start_paused = true)]
    async fn no_pacing_lets_everyone_in_at_once() {
        let pacer = Pacer::new(0);
        let now = Instant::now();
        assert!((0..10_000).all(|_| pacer.turn(Duration::ZERO) == Some(now)));
    }
}
