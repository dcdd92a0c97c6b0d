//! The Lean Coffee engine: the participants of one zone sit at one table, and every table runs
//! its own Lean Coffee (topics, dots, a ranked list, the current topic with its timebox, and
//! thumbs votes on extending it) while the facilitator moves the hall's phases.
//!
//! Time enters only through the commands (`now_ms`) and is stored in the events as absolute
//! deadlines, so a replay after a crash keeps every table's clock. [`LeanCoffee::due`] is the
//! earliest deadline of any table and [`LeanCoffee::expire`] the events of whatever is due; the
//! rules are in docs/protocol.md's Lean Coffee section, and `tests` checks them as properties
//! over random halls.

use std::collections::{BTreeMap, HashMap};

use lapp_protocol::{ErrorCode, ItemId, LeanCoffeeConfig, Pid, Thumb, TopicId};
use serde::{Deserialize, Serialize};

use super::{Refusal, clean_text};

/// Where the hall is; every table is in the same phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Lobby,
    Collect,
    Vote,
    Discuss,
    Done,
}

/// Someone sitting down at the table named `table` (their zone, or `""`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seat {
    pub pid: Pid,
    pub table: String,
}

/// Everything that changes a Lean Coffee. Deadlines are stored as the time they were set
/// (`at_ms`) or as the deadline itself, so replaying never reads a clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum LeanCoffeeEvent {
    Seated {
        pid: Pid,
        table: String,
    },
    /// The hall moved on to `stage`. Those connected without a seat sat down first; entering
    /// discuss, every table with topics started its first one at `at_ms`.
    Moved {
        stage: Stage,
        at_ms: u64,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        seated: Vec<Seat>,
    },
    /// Back to `stage`: vote → collect, collect → lobby. Topics and dots stay.
    SteppedBack {
        stage: Stage,
    },
    TopicAdded {
        topic: TopicId,
        pid: Pid,
        table: u32,
        text: String,
    },
    /// Its author took it back; the dots on it return to their owners.
    TopicDeleted {
        topic: TopicId,
    },
    /// `topic` now lives on in `into`, with its text and every dot on it.
    TopicMerged {
        topic: TopicId,
        into: TopicId,
    },
    DotsSet {
        pid: Pid,
        topic: TopicId,
        count: u32,
    },
    /// The table's current topic ended (and any open vote with it); the next one in the ranking
    /// started at `at_ms`, or the table finished.
    TopicEnded {
        table: u32,
        at_ms: u64,
    },
    /// The current timebox ran out and there is another: the members connected then vote on
    /// extending the topic until `closes_ms`.
    VoteOpened {
        table: u32,
        closes_ms: u64,
        voters: Vec<Pid>,
    },
    ThumbSet {
        table: u32,
        pid: Pid,
        thumb: Thumb,
    },
    /// The vote closed at `at_ms` (its time was up, or everyone had voted): more ups than downs
    /// extend the topic by the next timebox, anything else starts the next topic.
    VoteClosed {
        table: u32,
        at_ms: u64,
    },
    /// A facilitator extended the current topic by its next timebox (or the last again).
    Extended {
        table: u32,
        at_ms: u64,
    },
    /// A facilitator started the current timebox again from its full length.
    TimeboxReset {
        table: u32,
        at_ms: u64,
    },
    ItemAdded {
        item: ItemId,
        table: u32,
        topic: TopicId,
        /// None when a facilitator wrote it.
        author: Option<Pid>,
        owner: Option<Pid>,
        text: String,
    },
    ItemDeleted {
        item: ItemId,
    },
    /// A facilitator removed `pid`: their topics and items are hidden, and the dots on their
    /// topics return to their owners.
    AuthorHidden {
        pid: Pid,
    },
}

/// Who acts: a member of a table, or a facilitator, who may act at any table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Member(Pid),
    Facilitator,
}

impl Who {
    pub fn pid(self) -> Option<Pid> {
        match self {
            Who::Member(pid) => Some(pid),
            Who::Facilitator => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub id: TopicId,
    pub table: u32,
    pub author: Pid,
    pub text: String,
    /// The topic it was merged into.
    pub merged_into: Option<TopicId>,
    /// Every topic merged into this one, directly or through another, in the order merged.
    pub merged: Vec<TopicId>,
    pub deleted: bool,
    pub hidden: bool,
    /// Each participant's dots on it.
    pub dots: BTreeMap<Pid, u32>,
    /// All dots on it.
    pub total: u32,
    /// Its place in the table's ranking, from 1, once discussion began.
    pub rank: Option<u32>,
    pub discussed: bool,
    pub extended: u32,
    /// Thumbs votes held on it so far.
    pub votes: u32,
}

impl Topic {
    /// Shown and usable: not deleted, merged away or hidden.
    pub fn is_live(&self) -> bool {
        !self.deleted && !self.hidden && self.merged_into.is_none()
    }
}

/// A thumbs vote on extending a table's current topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vote {
    pub topic: TopicId,
    /// Which vote on the topic: 0 for its first.
    pub number: u32,
    pub closes_ms: u64,
    pub voters: Vec<Pid>,
    pub thumbs: BTreeMap<Pid, Thumb>,
}

impl Vote {
    /// Ups, sideways and downs.
    pub fn counts(&self) -> (u32, u32, u32) {
        let count = |wanted: Thumb| self.thumbs.values().filter(|&&thumb| thumb == wanted).count() as u32;
        (count(Thumb::Up), count(Thumb::Sideways), count(Thumb::Down))
    }

    /// The extension rule: more ups than downs.
    pub fn extends(&self) -> bool {
        let (up, _, down) = self.counts();
        up > down
    }
}

/// How a closed vote went, for the table to see until its next vote or topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub up: u32,
    pub sideways: u32,
    pub down: u32,
    pub extended: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    /// In the order they sat down.
    pub members: Vec<Pid>,
    /// Every topic added here, in the order added.
    pub topics: Vec<TopicId>,
    /// The live topics ranked by dots when discussion began.
    pub ranked: Vec<TopicId>,
    /// Where in `ranked` the next topic is.
    pub next: usize,
    pub current: Option<TopicId>,
    /// Which of the config's timeboxes is running.
    pub timebox: usize,
    pub ends_ms: Option<u64>,
    pub vote: Option<Vote>,
    pub last_vote: Option<Outcome>,
    /// Every vote that has closed, in order.
    pub closed_votes: Vec<Vote>,
    pub items: Vec<ItemId>,
}

impl Table {
    fn new(name: String) -> Table {
        Table {
            name,
            members: Vec::new(),
            topics: Vec::new(),
            ranked: Vec::new(),
            next: 0,
            current: None,
            timebox: 0,
            ends_ms: None,
            vote: None,
            last_vote: None,
            closed_votes: Vec::new(),
            items: Vec::new(),
        }
    }

    /// When the table next needs the clock: its vote closing, else its timebox ending.
    pub fn due(&self) -> Option<u64> {
        match &self.vote {
            Some(vote) => Some(vote.closes_ms),
            None => self.current.and(self.ends_ms),
        }
    }
}

/// An action item of a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionItem {
    pub id: ItemId,
    pub table: u32,
    pub topic: TopicId,
    pub author: Option<Pid>,
    pub owner: Option<Pid>,
    pub text: String,
    pub deleted: bool,
    pub hidden: bool,
}

impl ActionItem {
    pub fn is_live(&self) -> bool {
        !self.deleted && !self.hidden
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeanCoffee {
    config: LeanCoffeeConfig,
    stage: Stage,
    tables: Vec<Table>,
    by_name: HashMap<String, u32>,
    seats: HashMap<Pid, u32>,
    /// Indexed by `id.index()`.
    topics: Vec<Topic>,
    /// Indexed by `id.index()`.
    items: Vec<ActionItem>,
    /// Each participant's dots placed, on any topic.
    spent: HashMap<Pid, u32>,
}

impl LeanCoffee {
    pub fn new(config: LeanCoffeeConfig) -> LeanCoffee {
        LeanCoffee {
            config,
            stage: Stage::Lobby,
            tables: Vec::new(),
            by_name: HashMap::new(),
            seats: HashMap::new(),
            topics: Vec::new(),
            items: Vec::new(),
            spent: HashMap::new(),
        }
    }

    pub fn config(&self) -> &LeanCoffeeConfig {
        &self.config
    }

    pub fn stage(&self) -> Stage {
        self.stage
    }

    pub fn tables(&self) -> &[Table] {
        &self.tables
    }

    pub fn table(&self, index: u32) -> Option<&Table> {
        self.tables.get(index as usize)
    }

    pub fn table_named(&self, name: &str) -> Option<u32> {
        self.by_name.get(name).copied()
    }

    /// The table `pid` sits at.
    pub fn seat(&self, pid: Pid) -> Option<u32> {
        self.seats.get(&pid).copied()
    }

    pub fn topics(&self) -> &[Topic] {
        &self.topics
    }

    pub fn topic(&self, id: TopicId) -> Option<&Topic> {
        self.topics.get(id.index())
    }

    pub fn items(&self) -> &[ActionItem] {
        &self.items
    }

    pub fn item(&self, id: ItemId) -> Option<&ActionItem> {
        self.items.get(id.index())
    }

    /// The dots `pid` has placed.
    pub fn spent(&self, pid: Pid) -> u32 {
        self.spent.get(&pid).copied().unwrap_or(0)
    }

    /// Everyone who has placed a dot, with how many.
    pub fn dotters(&self) -> impl Iterator<Item = (Pid, u32)> + '_ {
        self.spent.iter().filter(|&(_, &count)| count > 0).map(|(&pid, &count)| (pid, count))
    }

    /// The topics of a table as they are shown: in the order added while collecting and voting,
    /// ranked from discussion on.
    pub fn shown_topics<'a>(&'a self, table: &'a Table) -> impl Iterator<Item = &'a Topic> + 'a {
        let ids = if self.stage >= Stage::Discuss { &table.ranked } else { &table.topics };
        ids.iter().filter_map(|&id| self.topic(id)).filter(|topic| topic.is_live())
    }

    /// Every topic of the table has been discussed (discuss and done).
    pub fn finished(&self, table: &Table) -> bool {
        self.stage >= Stage::Discuss && table.current.is_none() && self.upcoming(table).is_none()
    }

    /// The length of timebox `index` in seconds; past the last, the last again.
    pub fn timebox_seconds(&self, index: usize) -> u32 {
        let timeboxes = &self.config.timeboxes;
        timeboxes.get(index).or(timeboxes.last()).copied().unwrap_or(300)
    }

    /// When the method next needs the clock: the earliest vote closing or timebox ending of
    /// any table.
    pub fn due(&self) -> Option<u64> {
        if self.stage != Stage::Discuss {
            return None;
        }
        self.tables.iter().filter_map(Table::due).min()
    }

    /// The events of everything due by `now_ms`: one per table whose vote closes or whose
    /// timebox ends. Every deadline they set is later than `now_ms`, so the clock never spins.
    /// `present` are the participants connected now, in pid order.
    pub fn expire(&self, now_ms: u64, present: &[Pid]) -> Vec<LeanCoffeeEvent> {
        if self.stage != Stage::Discuss {
            return Vec::new();
        }
        let mut events = Vec::new();
        for (index, table) in self.tables.iter().enumerate() {
            if table.due().is_none_or(|due| due > now_ms) {
                continue;
            }
            let table_index = index as u32;
            if table.vote.is_some() {
                events.push(LeanCoffeeEvent::VoteClosed { table: table_index, at_ms: now_ms });
            } else if table.timebox + 1 < self.config.timeboxes.len() {
                let mut voters: Vec<Pid> =
                    table.members.iter().copied().filter(|pid| present.binary_search(pid).is_ok()).collect();
                if voters.is_empty() {
                    // Nobody connected at this moment: most likely the server has just come back
                    // and the phones are on their way, so every member may vote.
                    voters = table.members.clone();
                }
                events.push(LeanCoffeeEvent::VoteOpened {
                    table: table_index,
                    closes_ms: now_ms + millis(self.config.vote_seconds),
                    voters,
                });
            } else {
                events.push(LeanCoffeeEvent::TopicEnded { table: table_index, at_ms: now_ms });
            }
        }
        events
    }

    // ---- commands -------------------------------------------------------------------------

    /// A seat for someone who arrives (or comes back) without one, once collecting has opened.
    pub fn seat_for(&self, pid: Pid, zone: Option<&str>) -> Option<LeanCoffeeEvent> {
        (self.stage != Stage::Lobby && !self.seats.contains_key(&pid))
            .then(|| LeanCoffeeEvent::Seated { pid, table: zone.unwrap_or_default().to_owned() })
    }

    /// Moves the hall on: lobby → collect → vote → discuss → done. `present` are those
    /// connected now with their tables' names; whoever has no seat yet sits down.
    pub fn next_phase(&self, present: &[(Pid, String)], now_ms: u64) -> Result<LeanCoffeeEvent, Refusal> {
        let stage = match self.stage {
            Stage::Lobby => Stage::Collect,
            Stage::Collect => Stage::Vote,
            Stage::Vote => Stage::Discuss,
            Stage::Discuss => Stage::Done,
            Stage::Done => {
                return Err(Refusal::new(
                    ErrorCode::WrongPhase,
                    "Lean Coffee is done: there is no next step",
                ));
            }
        };
        let mut seated: Vec<Seat> = present
            .iter()
            .filter(|(pid, _)| !self.seats.contains_key(pid))
            .map(|(pid, table)| Seat { pid: *pid, table: table.clone() })
            .collect();
        // New tables come in the order of their names.
        seated.sort_by(|a, b| (&a.table, a.pid).cmp(&(&b.table, b.pid)));
        Ok(LeanCoffeeEvent::Moved { stage, at_ms: now_ms, seated })
    }

    /// Back one step: vote → collect (dots kept, blind again), collect → lobby. Discussion
    /// cannot be undone: its timers, votes and items stand.
    pub fn step_back(&self) -> Result<LeanCoffeeEvent, Refusal> {
        match self.stage {
            Stage::Vote => Ok(LeanCoffeeEvent::SteppedBack { stage: Stage::Collect }),
            Stage::Collect => Ok(LeanCoffeeEvent::SteppedBack { stage: Stage::Lobby }),
            Stage::Lobby => Err(Refusal::new(ErrorCode::WrongPhase, "there is no step to go back to")),
            Stage::Discuss | Stage::Done => Err(Refusal::new(
                ErrorCode::WrongPhase,
                "discussion has begun: its timers, votes and action items cannot be undone, so there \
                 is no going back to voting",
            )),
        }
    }

    pub fn add_topic(&self, pid: Pid, text: &str) -> Result<LeanCoffeeEvent, Refusal> {
        self.expect(Stage::Collect, "topics are added while collecting")?;
        let table = self.own_table(pid)?;
        // Topics on the table count: one merged into another's no longer stands as one's own.
        let written = self.topics.iter().filter(|topic| topic.author == pid && topic.is_live()).count();
        if written >= self.config.max_topics as usize {
            return Err(Refusal::new(
                ErrorCode::TooMany,
                format!("you may add {} topics at most", self.config.max_topics),
            ));
        }
        let text = clean_text(text, self.config.max_chars)?;
        Ok(LeanCoffeeEvent::TopicAdded { topic: TopicId(self.topics.len() as u32), pid, table, text })
    }

    pub fn delete_topic(&self, pid: Pid, topic: TopicId) -> Result<LeanCoffeeEvent, Refusal> {
        self.expect(Stage::Collect, "topics are deleted only while collecting")?;
        let found = self.known_topic(topic)?;
        if found.author != pid {
            return Err(Refusal::new(ErrorCode::Forbidden, format!("{topic} is not yours to delete")));
        }
        if let Some(into) = found.merged_into {
            return Err(Refusal::new(ErrorCode::BadMerge, format!("{topic} was merged into {into}")));
        }
        if !found.merged.is_empty() {
            return Err(Refusal::new(
                ErrorCode::BadMerge,
                format!("other topics were merged into {topic}: it stays"),
            ));
        }
        Ok(LeanCoffeeEvent::TopicDeleted { topic })
    }

    /// Merges `topic` into `into`: both live topics of one table, the sender's own unless a
    /// facilitator merges.
    pub fn merge(&self, who: Who, topic: TopicId, into: TopicId) -> Result<LeanCoffeeEvent, Refusal> {
        if !matches!(self.stage, Stage::Collect | Stage::Vote) {
            return Err(Refusal::new(ErrorCode::WrongPhase, "topics are merged while collecting and voting"));
        }
        let (from, to) = (self.known_topic(topic)?, self.known_topic(into)?);
        if let Who::Member(pid) = who {
            let own = self.own_table(pid)?;
            if from.table != own || to.table != own {
                return Err(Refusal::new(
                    ErrorCode::OtherTable,
                    "you can merge only your own table's topics",
                ));
            }
        }
        if topic == into {
            return Err(Refusal::new(ErrorCode::BadMerge, "a topic cannot be merged into itself"));
        }
        if let Some(gone) = [from, to].into_iter().find(|topic| topic.merged_into.is_some()) {
            return Err(Refusal::new(ErrorCode::BadMerge, format!("{} has been merged away", gone.id)));
        }
        if from.table != to.table {
            return Err(Refusal::new(ErrorCode::BadMerge, "only topics of one table can be merged"));
        }
        Ok(LeanCoffeeEvent::TopicMerged { topic, into })
    }

    /// Puts `count` of `pid`'s dots on `topic`; none when that is already so.
    pub fn set_dots(&self, pid: Pid, topic: TopicId, count: u32) -> Result<Option<LeanCoffeeEvent>, Refusal> {
        self.expect(Stage::Vote, "dots are placed while voting")?;
        let found = self.known_topic(topic)?;
        if let Some(into) = found.merged_into {
            return Err(Refusal::new(
                ErrorCode::UnknownItem,
                format!("{topic} was merged into {into}: dot that one"),
            ));
        }
        if found.table != self.own_table(pid)? {
            return Err(Refusal::new(ErrorCode::OtherTable, format!("{topic} is another table's topic")));
        }
        let now = found.dots.get(&pid).copied().unwrap_or(0);
        if count == now {
            return Ok(None);
        }
        let per_topic = self.config.per_topic();
        if count > now && count > per_topic {
            return Err(Refusal::new(ErrorCode::TooMany, format!("at most {per_topic} dots on one topic")));
        }
        if self.spent(pid) - now + count > self.config.dots {
            return Err(Refusal::new(
                ErrorCode::TooMany,
                format!("you have {} dots in all", self.config.dots),
            ));
        }
        Ok(Some(LeanCoffeeEvent::DotsSet { pid, topic, count }))
    }

    /// Ends the table's current topic and starts the next. `from` is the topic the sender saw
    /// as current: if the table has moved on since, nothing happens (`stale`).
    pub fn next_topic(
        &self,
        who: Who,
        table: Option<&str>,
        from: Option<TopicId>,
        now_ms: u64,
    ) -> Result<LeanCoffeeEvent, Refusal> {
        self.expect(Stage::Discuss, "topics move on while discussing")?;
        let index = self.table_for(who, table)?;
        let at = &self.tables[index as usize];
        if from != at.current {
            let now =
                at.current.map_or_else(|| "has discussed every topic".to_owned(), |t| format!("is at {t}"));
            return Err(Refusal::new(ErrorCode::Stale, format!("the table has moved on: it {now}")));
        }
        if at.current.is_none() {
            return Err(Refusal::new(ErrorCode::WrongPhase, "every topic of this table has been discussed"));
        }
        Ok(LeanCoffeeEvent::TopicEnded { table: index, at_ms: now_ms })
    }

    /// `pid`'s thumb in their table's open vote; the vote closes at once when every voter has
    /// one in.
    pub fn thumb(&self, pid: Pid, thumb: Thumb, now_ms: u64) -> Result<Vec<LeanCoffeeEvent>, Refusal> {
        let table = self.own_table(pid)?;
        let vote = self.tables[table as usize]
            .vote
            .as_ref()
            .ok_or_else(|| Refusal::new(ErrorCode::NoVote, "your table has no open vote"))?;
        if !vote.voters.contains(&pid) {
            return Err(Refusal::new(ErrorCode::NoVote, "this vote opened before you sat down"));
        }
        if vote.thumbs.get(&pid) == Some(&thumb) {
            return Ok(Vec::new());
        }
        let mut events = vec![LeanCoffeeEvent::ThumbSet { table, pid, thumb }];
        let all_in = vote.voters.iter().all(|voter| *voter == pid || vote.thumbs.contains_key(voter));
        if all_in {
            events.push(LeanCoffeeEvent::VoteClosed { table, at_ms: now_ms });
        }
        Ok(events)
    }

    pub fn extend(&self, table: &str, now_ms: u64) -> Result<LeanCoffeeEvent, Refusal> {
        let table = self.discussing(table)?;
        Ok(LeanCoffeeEvent::Extended { table, at_ms: now_ms })
    }

    pub fn reset_timebox(&self, table: &str, now_ms: u64) -> Result<LeanCoffeeEvent, Refusal> {
        let table = self.discussing(table)?;
        Ok(LeanCoffeeEvent::TimeboxReset { table, at_ms: now_ms })
    }

    /// An action item for the table's current topic, owned by one of its members if any.
    pub fn add_item(
        &self,
        who: Who,
        table: Option<&str>,
        text: &str,
        owner: Option<Pid>,
    ) -> Result<LeanCoffeeEvent, Refusal> {
        self.expect(Stage::Discuss, "action items are added while discussing")?;
        let index = self.table_for(who, table)?;
        let at = &self.tables[index as usize];
        let topic = at.current.ok_or_else(|| {
            Refusal::new(ErrorCode::WrongPhase, "no topic is being discussed at this table")
        })?;
        if let Some(owner) = owner.filter(|owner| !at.members.contains(owner)) {
            return Err(Refusal::new(ErrorCode::OtherTable, format!("{owner} does not sit at this table")));
        }
        let text = clean_text(text, self.config.max_chars)?;
        Ok(LeanCoffeeEvent::ItemAdded {
            item: ItemId(self.items.len() as u32),
            table: index,
            topic,
            author: who.pid(),
            owner,
            text,
        })
    }

    pub fn delete_item(&self, who: Who, item: ItemId) -> Result<LeanCoffeeEvent, Refusal> {
        let found = self
            .item(item)
            .filter(|found| found.is_live())
            .ok_or_else(|| Refusal::new(ErrorCode::UnknownItem, format!("no action item {item}")))?;
        if let Who::Member(pid) = who
            && found.author != Some(pid)
        {
            return Err(Refusal::new(ErrorCode::Forbidden, format!("{item} is not yours to delete")));
        }
        Ok(LeanCoffeeEvent::ItemDeleted { item })
    }

    /// Hides what `pid` wrote, if anything is left to hide.
    pub fn hide_author(&self, pid: Pid) -> Option<LeanCoffeeEvent> {
        let wrote_topic = self.topics.iter().any(|topic| topic.author == pid && !topic.hidden);
        let wrote_item = self.items.iter().any(|item| item.author == Some(pid) && !item.hidden);
        (wrote_topic || wrote_item).then_some(LeanCoffeeEvent::AuthorHidden { pid })
    }

    fn expect(&self, stage: Stage, why: &str) -> Result<(), Refusal> {
        if self.stage == stage { Ok(()) } else { Err(Refusal::new(ErrorCode::WrongPhase, why)) }
    }

    fn own_table(&self, pid: Pid) -> Result<u32, Refusal> {
        self.seat(pid).ok_or_else(|| Refusal::new(ErrorCode::WrongPhase, "you have no table yet"))
    }

    /// The table a request is for: a member's own (naming another is `other_table`), or the
    /// one a facilitator names.
    fn table_for(&self, who: Who, named: Option<&str>) -> Result<u32, Refusal> {
        match who {
            Who::Member(pid) => {
                let own = self.own_table(pid)?;
                match named {
                    Some(name) if name != self.tables[own as usize].name => Err(Refusal::new(
                        ErrorCode::OtherTable,
                        format!("you sit at another table than {name:?}"),
                    )),
                    _ => Ok(own),
                }
            }
            Who::Facilitator => {
                let name =
                    named.ok_or_else(|| Refusal::new(ErrorCode::BadJson, "a facilitator names the table"))?;
                self.table_named(name).ok_or_else(|| {
                    Refusal::new(ErrorCode::UnknownItem, format!("no table is named {name:?}"))
                })
            }
        }
    }

    fn discussing(&self, table: &str) -> Result<u32, Refusal> {
        self.expect(Stage::Discuss, "timeboxes run while discussing")?;
        let index = self.table_for(Who::Facilitator, Some(table))?;
        if self.tables[index as usize].current.is_none() {
            return Err(Refusal::new(
                ErrorCode::WrongPhase,
                format!("no topic is being discussed at {table:?}"),
            ));
        }
        Ok(index)
    }

    /// A topic that exists and is shown (it may have been merged away).
    fn known_topic(&self, id: TopicId) -> Result<&Topic, Refusal> {
        self.topic(id)
            .filter(|topic| !topic.deleted && !topic.hidden)
            .ok_or_else(|| Refusal::new(ErrorCode::UnknownItem, format!("no topic {id}")))
    }

    /// The next topic of the ranking still to discuss.
    fn upcoming(&self, table: &Table) -> Option<TopicId> {
        table.ranked[table.next.min(table.ranked.len())..]
            .iter()
            .copied()
            .find(|&id| self.topic(id).is_some_and(|topic| !topic.hidden))
    }

    // ---- events ---------------------------------------------------------------------------

    pub fn apply(&mut self, event: &LeanCoffeeEvent) {
        match event {
            LeanCoffeeEvent::Seated { pid, table } => self.sit(*pid, table),
            LeanCoffeeEvent::Moved { stage, at_ms, seated } => {
                for seat in seated {
                    self.sit(seat.pid, &seat.table);
                }
                self.stage = *stage;
                match stage {
                    Stage::Discuss => self.open_discussion(*at_ms),
                    Stage::Done => {
                        for index in 0..self.tables.len() {
                            self.close_vote(index);
                            let table = &mut self.tables[index];
                            let current = table.current.take();
                            table.ends_ms = None;
                            if let Some(topic) = current.and_then(|id| self.topics.get_mut(id.index())) {
                                topic.discussed = true;
                            }
                        }
                    }
                    Stage::Lobby | Stage::Collect | Stage::Vote => {}
                }
            }
            LeanCoffeeEvent::SteppedBack { stage } => self.stage = *stage,
            LeanCoffeeEvent::TopicAdded { topic, pid, table, text } => {
                self.topics.push(Topic {
                    id: *topic,
                    table: *table,
                    author: *pid,
                    text: text.clone(),
                    merged_into: None,
                    merged: Vec::new(),
                    deleted: false,
                    hidden: false,
                    dots: BTreeMap::new(),
                    total: 0,
                    rank: None,
                    discussed: false,
                    extended: 0,
                    votes: 0,
                });
                if let Some(table) = self.tables.get_mut(*table as usize) {
                    table.topics.push(*topic);
                }
            }
            LeanCoffeeEvent::TopicDeleted { topic } => {
                self.return_dots(*topic);
                if let Some(topic) = self.topics.get_mut(topic.index()) {
                    topic.deleted = true;
                }
            }
            LeanCoffeeEvent::TopicMerged { topic, into } => {
                let Some(from) = self.topics.get_mut(topic.index()) else { return };
                from.merged_into = Some(*into);
                let dots = std::mem::take(&mut from.dots);
                let total = std::mem::take(&mut from.total);
                let mut merged = vec![*topic];
                merged.extend(from.merged.iter().copied());
                if let Some(to) = self.topics.get_mut(into.index()) {
                    for (pid, count) in dots {
                        *to.dots.entry(pid).or_default() += count;
                    }
                    to.total += total;
                    to.merged.extend(merged);
                }
            }
            LeanCoffeeEvent::DotsSet { pid, topic, count } => {
                let Some(found) = self.topics.get_mut(topic.index()) else { return };
                let before = if *count == 0 {
                    found.dots.remove(pid).unwrap_or(0)
                } else {
                    found.dots.insert(*pid, *count).unwrap_or(0)
                };
                found.total = found.total - before + count;
                let spent = self.spent.entry(*pid).or_default();
                *spent = *spent - before + count;
            }
            LeanCoffeeEvent::TopicEnded { table, at_ms } => {
                let index = *table as usize;
                self.close_vote(index);
                self.move_on(index, *at_ms);
                if let Some(table) = self.tables.get_mut(index) {
                    table.last_vote = None;
                }
            }
            LeanCoffeeEvent::VoteOpened { table, closes_ms, voters } => {
                let Some(at) = self.tables.get_mut(*table as usize) else { return };
                let Some(topic) = at.current.and_then(|id| self.topics.get_mut(id.index())) else { return };
                at.vote = Some(Vote {
                    topic: topic.id,
                    number: topic.votes,
                    closes_ms: *closes_ms,
                    voters: voters.clone(),
                    thumbs: BTreeMap::new(),
                });
                at.last_vote = None;
                topic.votes += 1;
            }
            LeanCoffeeEvent::ThumbSet { table, pid, thumb } => {
                if let Some(vote) = self.tables.get_mut(*table as usize).and_then(|at| at.vote.as_mut()) {
                    vote.thumbs.insert(*pid, *thumb);
                }
            }
            LeanCoffeeEvent::VoteClosed { table, at_ms } => {
                let index = *table as usize;
                let Some(outcome) = self.close_vote(index) else { return };
                if outcome.extended {
                    self.extend_current(index, *at_ms);
                } else {
                    self.move_on(index, *at_ms);
                }
                if let Some(table) = self.tables.get_mut(index) {
                    table.last_vote = Some(outcome);
                }
            }
            LeanCoffeeEvent::Extended { table, at_ms } => {
                let index = *table as usize;
                let outcome = self.close_vote(index).map(|outcome| Outcome { extended: true, ..outcome });
                self.extend_current(index, *at_ms);
                if let Some(table) = self.tables.get_mut(index) {
                    table.last_vote = outcome;
                }
            }
            LeanCoffeeEvent::TimeboxReset { table, at_ms } => {
                let index = *table as usize;
                self.close_vote(index);
                let seconds = self.tables.get(index).map(|table| self.timebox_seconds(table.timebox));
                if let (Some(table), Some(seconds)) = (self.tables.get_mut(index), seconds) {
                    table.ends_ms = Some(at_ms + millis(seconds));
                    table.last_vote = None;
                }
            }
            LeanCoffeeEvent::ItemAdded { item, table, topic, author, owner, text } => {
                self.items.push(ActionItem {
                    id: *item,
                    table: *table,
                    topic: *topic,
                    author: *author,
                    owner: *owner,
                    text: text.clone(),
                    deleted: false,
                    hidden: false,
                });
                if let Some(table) = self.tables.get_mut(*table as usize) {
                    table.items.push(*item);
                }
            }
            LeanCoffeeEvent::ItemDeleted { item } => {
                if let Some(item) = self.items.get_mut(item.index()) {
                    item.deleted = true;
                }
            }
            LeanCoffeeEvent::AuthorHidden { pid } => {
                let theirs: Vec<TopicId> =
                    self.topics.iter().filter(|topic| topic.author == *pid).map(|topic| topic.id).collect();
                for topic in theirs {
                    self.return_dots(topic);
                    if let Some(topic) = self.topics.get_mut(topic.index()) {
                        topic.hidden = true;
                    }
                }
                for item in self.items.iter_mut().filter(|item| item.author == Some(*pid)) {
                    item.hidden = true;
                }
            }
        }
    }

    fn sit(&mut self, pid: Pid, name: &str) {
        if self.seats.contains_key(&pid) {
            return;
        }
        let index = match self.by_name.get(name) {
            Some(&index) => index,
            None => {
                let index = self.tables.len() as u32;
                self.tables.push(Table::new(name.to_owned()));
                self.by_name.insert(name.to_owned(), index);
                index
            }
        };
        self.tables[index as usize].members.push(pid);
        self.seats.insert(pid, index);
    }

    /// Ranks every table's topics by dots (ties to the earlier topic) and starts each table's
    /// first one at `at_ms`.
    fn open_discussion(&mut self, at_ms: u64) {
        for index in 0..self.tables.len() {
            let mut ranked: Vec<TopicId> = self.tables[index]
                .topics
                .iter()
                .copied()
                .filter(|&id| self.topic(id).is_some_and(Topic::is_live))
                .collect();
            ranked.sort_by_key(|&id| (std::cmp::Reverse(self.topics[id.index()].total), id));
            for (rank, id) in ranked.iter().enumerate() {
                self.topics[id.index()].rank = Some(rank as u32 + 1);
            }
            let table = &mut self.tables[index];
            table.ranked = ranked;
            table.next = 0;
            self.move_on(index, at_ms);
        }
    }

    /// Ends the current topic, if any, and starts the next one of the ranking at `at_ms`.
    fn move_on(&mut self, index: usize, at_ms: u64) {
        let Some(table) = self.tables.get(index) else { return };
        let current = table.current;
        let next = self.upcoming(table);
        let first_seconds = self.timebox_seconds(0);
        if let Some(topic) = current.and_then(|id| self.topics.get_mut(id.index())) {
            topic.discussed = true;
        }
        let table = &mut self.tables[index];
        table.current = next;
        table.timebox = 0;
        table.ends_ms = next.map(|_| at_ms + millis(first_seconds));
        if let Some(next) = next {
            table.next =
                table.ranked.iter().position(|&id| id == next).map_or(table.ranked.len(), |at| at + 1);
        } else {
            table.next = table.ranked.len();
        }
    }

    /// The current topic runs on for its next timebox (or the last again) from `at_ms`.
    fn extend_current(&mut self, index: usize, at_ms: u64) {
        let last = self.config.timeboxes.len().saturating_sub(1);
        let Some(table) = self.tables.get(index) else { return };
        let timebox = (table.timebox + 1).min(last);
        let seconds = self.timebox_seconds(timebox);
        let current = table.current;
        let table = &mut self.tables[index];
        table.timebox = timebox;
        table.ends_ms = Some(at_ms + millis(seconds));
        if let Some(topic) = current.and_then(|id| self.topics.get_mut(id.index())) {
            topic.extended += 1;
        }
    }

    /// Closes the table's open vote, keeping its thumbs; how it went, by the extension rule.
    fn close_vote(&mut self, index: usize) -> Option<Outcome> {
        let table = self.tables.get_mut(index)?;
        let vote = table.vote.take()?;
        let (up, sideways, down) = vote.counts();
        let outcome = Outcome { up, sideways, down, extended: vote.extends() };
        table.closed_votes.push(vote);
        Some(outcome)
    }

    /// Takes every dot off `topic`, back to those who placed them.
    fn return_dots(&mut self, topic: TopicId) {
        let Some(found) = self.topics.get_mut(topic.index()) else { return };
        found.total = 0;
        for (pid, count) in std::mem::take(&mut found.dots) {
            if let Some(spent) = self.spent.get_mut(&pid) {
                *spent -= count;
            }
        }
    }
}

/// A length in seconds as milliseconds; never zero, so a deadline set now is always later.
fn millis(seconds: u32) -> u64 {
    u64::from(seconds.max(1)) * 1000
}

#[cfg(test)]
mod tests;
