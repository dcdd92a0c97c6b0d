//! Lean Coffee as a method: requests, views, export and what each change tells whom, over the
//! pure engine in `engine::leancoffee`. A change at a table goes at once to that table's
//! members only (each gets their own `table` frame); facilitators get the changed tables and
//! screens the hall's brief `tables` at the next tick, so a hall of many tables whose timers
//! run out together costs each event only its own table.

use lapp_protocol::{
    ActivityExport, DotsExport, HallView, ItemExport, ItemView, LeanCoffeeMsg, LeanCoffeeProgress, Person,
    Phase, Pid, Progress, Role, ServerMsg, TableExport, TableSummary, TableView, ThumbsView, TopTopic,
    TopicExport, TopicId, TopicView, View, VoteExport, VoteOutcome,
};
use rand::Rng;

use super::{Hall, Item, Method, Named, Pending, Position};
use crate::actor::{Fanout, Frame, Target};
use crate::engine::Refusal;
pub use crate::engine::leancoffee::{LeanCoffee, LeanCoffeeEvent};
use crate::engine::leancoffee::{Stage, Table, Topic, Vote, Who};
use crate::followup::Block;
use crate::session::Sender;

/// How many of the hall's most-dotted topics the hall's view shows once voting has closed.
pub const HALL_TOP: usize = 10;

/// How many changed tables a facilitator is sent in one tick. A facilitator's outbox holds 64
/// frames: a hall of 140 tables whose timers run out together would fill it at once, so the
/// rest wait for the next ticks, first changed first sent.
pub const TABLES_PER_TICK: usize = 16;

impl Method for LeanCoffee {
    type Event = LeanCoffeeEvent;
    type Msg = LeanCoffeeMsg;

    fn decide(
        &self,
        hall: &Hall<'_>,
        sender: Sender,
        msg: &LeanCoffeeMsg,
        _rng: &mut impl Rng,
    ) -> Result<Vec<LeanCoffeeEvent>, Refusal> {
        // Someone connected since before this activity became current again (after another
        // one ran) may have no seat yet: they sit down with their first request.
        let seat = sender.pid.and_then(|pid| self.seat_for(pid, hall.zone(pid)));
        let Some(seat) = seat else { return decide_seated(self, hall, sender, msg) };
        let mut seated = self.clone();
        seated.apply(&seat);
        let mut events = vec![seat];
        events.extend(decide_seated(&seated, hall, sender, msg)?);
        Ok(events)
    }

    fn apply(&mut self, event: &LeanCoffeeEvent) {
        LeanCoffee::apply(self, event);
    }

    fn next_phase(&self, hall: &Hall<'_>, _rng: &mut impl Rng) -> Result<LeanCoffeeEvent, Refusal> {
        let present: Vec<(Pid, String)> =
            hall.present.iter().map(|&pid| (pid, hall.zone(pid).unwrap_or_default().to_owned())).collect();
        LeanCoffee::next_phase(self, &present, hall.now_ms)
    }

    fn step_back(&self) -> Result<LeanCoffeeEvent, Refusal> {
        LeanCoffee::step_back(self)
    }

    fn position(&self) -> Position {
        Position { phase: phase(self.stage()), round: None, level: None }
    }

    fn late_arrival(&self, hall: &Hall<'_>, pid: Pid) -> Option<LeanCoffeeEvent> {
        self.seat_for(pid, hall.zone(pid))
    }

    fn author(&self, item: Item) -> Option<Pid> {
        match item {
            Item::Topic(topic) => self.topic(topic).map(|topic| topic.author),
            _ => None,
        }
    }

    fn hide_author(&self, pid: Pid) -> Vec<LeanCoffeeEvent> {
        LeanCoffee::hide_author(self, pid).into_iter().collect()
    }

    fn named(&self, _pid: Option<Pid>, _msg: &LeanCoffeeMsg, events: &[LeanCoffeeEvent]) -> Named {
        let mut named = Named::default();
        for event in events {
            match event {
                LeanCoffeeEvent::TopicAdded { topic, .. } => named.topic = Some(*topic),
                LeanCoffeeEvent::ItemAdded { item, .. } => named.item = Some(*item),
                _ => {}
            }
        }
        named
    }

    fn progress(&self, _hall: &Hall<'_>, progress: &mut Progress) {
        progress.phase = phase(self.stage());
        progress.leancoffee = Some(counts(self));
    }

    fn view(&self, hall: &Hall<'_>, role: Role, pid: Option<Pid>, view: &mut View) {
        match role {
            Role::Participant => {
                view.table = pid
                    .filter(|_| self.stage() != Stage::Lobby)
                    .and_then(|pid| Some((pid, self.seat(pid)?)))
                    .map(|(pid, table)| table_view(self, hall, table, Some(pid)));
            }
            Role::Facilitator => {
                let tables = 0..self.tables().len() as u32;
                view.tables = Some(tables.map(|table| table_view(self, hall, table, None)).collect());
                view.hall = Some(hall_view(self, hall));
            }
            Role::Screen => view.hall = Some(hall_view(self, hall)),
        }
    }

    fn export(&self, _hall: &Hall<'_>, export: &mut ActivityExport) {
        export.tables = self.tables().iter().map(|table| table_export(self, table)).collect();
    }

    fn announce(&self, hall: &Hall<'_>, event: &LeanCoffeeEvent, _affected: Vec<Pid>, out: &mut Fanout<'_>) {
        let table_of_topic = |topic: &TopicId| self.topic(*topic).map(|topic| topic.table);
        // The table the event changed, and whether the hall's brief view changed with it.
        let (table, brief) = match event {
            LeanCoffeeEvent::Moved { .. } | LeanCoffeeEvent::SteppedBack { .. } => {
                self.show_afresh(hall, out);
                return;
            }
            LeanCoffeeEvent::DotsSet { pid, topic, .. } => {
                // Blind: only the dotter's own view changes; facilitators see it at the tick.
                if let Some(table) = table_of_topic(topic) {
                    tell(self, hall, out, *pid, table);
                    out.pending.changed.push(table);
                }
                out.pending.progress = true;
                return;
            }
            LeanCoffeeEvent::Seated { pid, .. } => (self.seat(*pid), true),
            LeanCoffeeEvent::AuthorHidden { pid } => (self.seat(*pid), true),
            LeanCoffeeEvent::TopicAdded { table, .. } => (Some(*table), true),
            LeanCoffeeEvent::TopicDeleted { topic } | LeanCoffeeEvent::TopicMerged { topic, .. } => {
                (table_of_topic(topic), true)
            }
            LeanCoffeeEvent::TopicEnded { table, .. }
            | LeanCoffeeEvent::VoteOpened { table, .. }
            | LeanCoffeeEvent::VoteClosed { table, .. }
            | LeanCoffeeEvent::Extended { table, .. }
            | LeanCoffeeEvent::TimeboxReset { table, .. } => (Some(*table), true),
            LeanCoffeeEvent::ThumbSet { table, .. } | LeanCoffeeEvent::ItemAdded { table, .. } => {
                (Some(*table), false)
            }
            LeanCoffeeEvent::ItemDeleted { item } => (self.item(*item).map(|item| item.table), false),
        };
        if let Some(table) = table {
            tell_table(self, hall, out, table);
            out.pending.changed.push(table);
        }
        out.pending.board |= brief;
        out.pending.progress = true;
    }

    fn show_afresh(&self, hall: &Hall<'_>, out: &mut Fanout<'_>) {
        let activity = out.activity();
        let lobby = self.stage() == Stage::Lobby;
        out.bring_up_to_date(activity.as_ref(), true, |pid| {
            let table = self.seat(pid).filter(|_| !lobby)?;
            Some(Frame::of(&ServerMsg::Table(table_view(self, hall, table, Some(pid)))))
        });
        out.send(Target::Watchers, &ServerMsg::Tables(hall_view(self, hall)));
        // Facilitators get every table again: the first ones now, the rest at the next ticks.
        let mut changed: Vec<u32> =
            if lobby { Vec::new() } else { (0..self.tables().len() as u32).collect() };
        send_changed_tables(self, hall, &mut changed, out);
        out.pending.changed = changed;
        out.pending.board = false;
        out.pending.progress = true;
    }

    fn send_pending(&self, hall: &Hall<'_>, pending: &mut Pending, out: &mut Fanout<'_>) {
        send_changed_tables(self, hall, &mut pending.changed, out);
        if std::mem::take(&mut pending.board) {
            out.send(Target::Watchers, &ServerMsg::Tables(hall_view(self, hall)));
        }
    }

    fn due(&self) -> Option<u64> {
        LeanCoffee::due(self)
    }

    fn expire(&self, hall: &Hall<'_>) -> Vec<LeanCoffeeEvent> {
        LeanCoffee::expire(self, hall.now_ms, hall.present)
    }
}

/// The events of a request from someone with a seat (or a facilitator).
fn decide_seated(
    lc: &LeanCoffee,
    hall: &Hall<'_>,
    sender: Sender,
    msg: &LeanCoffeeMsg,
) -> Result<Vec<LeanCoffeeEvent>, Refusal> {
    let name = msg.type_name();
    let who = || match sender.role {
        Role::Facilitator => Ok(Who::Facilitator),
        _ => sender.participant(name).map(Who::Member),
    };
    let now = hall.now_ms;
    match msg {
        LeanCoffeeMsg::TopicAdd { text } => Ok(vec![lc.add_topic(sender.participant(name)?, text)?]),
        LeanCoffeeMsg::TopicDelete { topic } => Ok(vec![lc.delete_topic(sender.participant(name)?, *topic)?]),
        LeanCoffeeMsg::TopicMerge { topic, into } => Ok(vec![lc.merge(who()?, *topic, *into)?]),
        LeanCoffeeMsg::DotsSet { topic, count } => {
            Ok(lc.set_dots(sender.participant(name)?, *topic, *count)?.into_iter().collect())
        }
        LeanCoffeeMsg::TopicNext { table, from } => {
            Ok(vec![lc.next_topic(who()?, table.as_deref(), *from, now)?])
        }
        LeanCoffeeMsg::Thumb { vote } => lc.thumb(sender.participant(name)?, *vote, now),
        LeanCoffeeMsg::TopicExtend { table } => {
            sender.facilitator(name)?;
            Ok(vec![lc.extend(table, now)?])
        }
        LeanCoffeeMsg::TimeboxReset { table } => {
            sender.facilitator(name)?;
            Ok(vec![lc.reset_timebox(table, now)?])
        }
        LeanCoffeeMsg::ItemAdd { text, owner, table } => {
            Ok(vec![lc.add_item(who()?, table.as_deref(), text, *owner)?])
        }
        LeanCoffeeMsg::ItemDelete { item } => Ok(vec![lc.delete_item(who()?, *item)?]),
    }
}

fn phase(stage: Stage) -> Phase {
    match stage {
        Stage::Lobby => Phase::Lobby,
        Stage::Collect => Phase::Collect,
        Stage::Vote => Phase::Vote,
        Stage::Discuss => Phase::Discuss,
        Stage::Done => Phase::Done,
    }
}

/// Sends facilitators the tables of this tick (see [`this_tick`]).
fn send_changed_tables(lc: &LeanCoffee, hall: &Hall<'_>, changed: &mut Vec<u32>, out: &mut Fanout<'_>) {
    for table in this_tick(changed, lc.tables().len()) {
        out.send(Target::Facilitators, &ServerMsg::Table(table_view(lc, hall, table, None)));
    }
}

/// The first [`TABLES_PER_TICK`] of the `changed` tables, each once, in the order they first
/// changed; the rest stay in `changed` for the next tick, ahead of whatever changes next, so
/// that busy tables cannot keep the others waiting.
fn this_tick(changed: &mut Vec<u32>, tables: usize) -> Vec<u32> {
    let mut seen = std::collections::HashSet::new();
    changed.retain(|&table| (table as usize) < tables && seen.insert(table));
    let later = changed.split_off(changed.len().min(TABLES_PER_TICK));
    std::mem::replace(changed, later)
}

/// Sends each connected member of `table` their own view of it.
fn tell_table(lc: &LeanCoffee, hall: &Hall<'_>, out: &mut Fanout<'_>, table: u32) {
    let Some(at) = lc.table(table) else { return };
    for &pid in &at.members {
        tell(lc, hall, out, pid, table);
    }
}

fn tell(lc: &LeanCoffee, hall: &Hall<'_>, out: &mut Fanout<'_>, pid: Pid, table: u32) {
    // A view is made only for a phone that is there to get it.
    if lc.stage() != Stage::Lobby && hall.present.binary_search(&pid).is_ok() {
        out.send(Target::Participant(pid), &ServerMsg::Table(table_view(lc, hall, table, Some(pid))));
    }
}

fn person(hall: &Hall<'_>, pid: Pid) -> Person {
    let participant = hall.participant(pid);
    Person {
        pid,
        name: participant.and_then(|p| p.name.clone()),
        zone: participant.and_then(|p| p.zone.clone()),
    }
}

fn removed(hall: &Hall<'_>, pid: Pid) -> bool {
    hall.participant(pid).is_some_and(|participant| participant.removed)
}

/// One table as `viewer` sees it: a member (with their own dots, topics and thumb; everyone's
/// dots only once voting has closed), or a facilitator (`None`: every dot, always).
pub fn table_view(lc: &LeanCoffee, hall: &Hall<'_>, table: u32, viewer: Option<Pid>) -> TableView {
    let Some(at) = lc.table(table) else {
        return TableView {
            table: String::new(),
            members: Vec::new(),
            topics: Vec::new(),
            dots_left: None,
            current: None,
            ends: None,
            seconds: None,
            vote: None,
            last_vote: None,
            items: Vec::new(),
            finished: false,
            now: hall.now_ms,
        };
    };
    let open = viewer.is_none() || lc.stage() >= Stage::Discuss;
    let topics = lc.shown_topics(at).map(|topic| topic_view(lc, topic, viewer, open)).collect();
    TableView {
        table: at.name.clone(),
        members: at
            .members
            .iter()
            .filter(|&&pid| !removed(hall, pid))
            .map(|&pid| person(hall, pid))
            .collect(),
        topics,
        dots_left: viewer
            .filter(|_| lc.stage() == Stage::Vote)
            .map(|pid| lc.config().dots.saturating_sub(lc.spent(pid))),
        current: at.current,
        ends: at.current.and(at.ends_ms),
        seconds: at.current.map(|_| lc.timebox_seconds(at.timebox)),
        vote: at.vote.as_ref().map(|vote| thumbs_view(vote, viewer)),
        last_vote: at.last_vote.map(|outcome| VoteOutcome {
            up: outcome.up,
            sideways: outcome.sideways,
            down: outcome.down,
            extended: outcome.extended,
        }),
        items: at
            .items
            .iter()
            .filter_map(|&id| lc.item(id))
            .filter(|item| item.is_live())
            .map(|item| ItemView {
                id: item.id,
                topic: item.topic,
                text: item.text.clone(),
                owner: item.owner.map(|owner| person(hall, owner)),
                mine: viewer.is_some() && item.author == viewer,
            })
            .collect(),
        finished: lc.finished(at),
        now: hall.now_ms,
    }
}

fn topic_view(lc: &LeanCoffee, topic: &Topic, viewer: Option<Pid>, open: bool) -> TopicView {
    TopicView {
        id: topic.id,
        text: topic.text.clone(),
        merged: topic
            .merged
            .iter()
            .filter_map(|&id| lc.topic(id))
            .filter(|merged| !merged.hidden && !merged.deleted)
            .map(|merged| merged.text.clone())
            .collect(),
        mine: viewer == Some(topic.author),
        dots: open.then_some(topic.total),
        my_dots: viewer.and_then(|pid| topic.dots.get(&pid).copied()).unwrap_or(0),
        discussed: topic.discussed,
        extended: topic.extended,
    }
}

fn thumbs_view(vote: &Vote, viewer: Option<Pid>) -> ThumbsView {
    let (up, sideways, down) = vote.counts();
    ThumbsView {
        closes: vote.closes_ms,
        up,
        sideways,
        down,
        voters: vote.voters.len() as u32,
        mine: viewer.and_then(|pid| vote.thumbs.get(&pid).copied()),
    }
}

/// Every table in brief, for facilitators and screens; once voting has closed, the hall's
/// most-dotted topics too.
pub fn hall_view(lc: &LeanCoffee, hall: &Hall<'_>) -> HallView {
    let mut tables: Vec<TableSummary> = lc
        .tables()
        .iter()
        .map(|table| TableSummary {
            table: table.name.clone(),
            members: table.members.iter().filter(|&&pid| !removed(hall, pid)).count() as u32,
            topics: lc.shown_topics(table).count() as u32,
            current: table
                .current
                .and_then(|id| lc.topic(id))
                .filter(|topic| !topic.hidden)
                .map(|topic| topic.text.clone()),
            ends: table.current.and(table.ends_ms),
            voting: table.vote.is_some(),
            // Closing the Lean Coffee ends every table, whether or not it reached every topic.
            finished: lc.finished(table) || lc.stage() == Stage::Done,
        })
        .collect();
    tables.sort_by(|a, b| as_counted(&a.table).cmp(&as_counted(&b.table)));
    let top = if lc.stage() >= Stage::Discuss {
        let mut dotted: Vec<&Topic> =
            lc.topics().iter().filter(|topic| topic.is_live() && topic.total > 0).collect();
        dotted.sort_by_key(|topic| (std::cmp::Reverse(topic.total), topic.id));
        dotted
            .into_iter()
            .take(HALL_TOP)
            .map(|topic| TopTopic {
                table: lc.table(topic.table).map(|table| table.name.clone()).unwrap_or_default(),
                text: topic.text.clone(),
                dots: topic.total,
            })
            .collect()
    } else {
        Vec::new()
    };
    HallView { tables, top, now: hall.now_ms }
}

/// A table's name as people count tables: "Table 2" before "Table 10" (the first run of
/// digits compares as a number).
fn as_counted(name: &str) -> (&str, u64, &str) {
    let Some(start) = name.find(|c: char| c.is_ascii_digit()) else { return (name, 0, "") };
    let end = name[start..].find(|c: char| !c.is_ascii_digit()).map_or(name.len(), |length| start + length);
    (&name[..start], name[start..end].parse().unwrap_or(u64::MAX), &name[end..])
}

/// How far the hall is.
pub fn counts(lc: &LeanCoffee) -> LeanCoffeeProgress {
    let (mut voters, mut dots) = (0, 0);
    for (_, count) in lc.dotters() {
        voters += 1;
        dots += count;
    }
    LeanCoffeeProgress {
        tables: lc.tables().len() as u32,
        topics: lc.topics().iter().filter(|topic| topic.is_live()).count() as u32,
        voters,
        dots,
        discussing: lc.tables().iter().filter(|table| table.current.is_some()).count() as u32,
        finished: lc.tables().iter().filter(|table| lc.finished(table)).count() as u32,
        items: lc.items().iter().filter(|item| item.is_live()).count() as u32,
    }
}

fn table_export(lc: &LeanCoffee, table: &Table) -> TableExport {
    let topics: Vec<&Topic> =
        table.topics.iter().filter_map(|&id| lc.topic(id)).filter(|topic| !topic.deleted).collect();
    let votes = table.closed_votes.iter().chain(&table.vote);
    TableExport {
        table: table.name.clone(),
        members: table.members.clone(),
        topics: topics
            .iter()
            .map(|topic| TopicExport {
                id: topic.id,
                author: topic.author,
                text: topic.text.clone(),
                merged_into: topic.merged_into,
                dots: topic.total,
                rank: topic.rank,
                discussed: topic.discussed,
                extended: topic.extended,
                hidden: topic.hidden,
            })
            .collect(),
        dots: topics
            .iter()
            .flat_map(|topic| {
                topic.dots.iter().map(|(&pid, &count)| DotsExport { pid, topic: topic.id, count })
            })
            .collect(),
        votes: votes
            .flat_map(|vote| {
                vote.thumbs.iter().map(|(&pid, &thumb)| VoteExport {
                    topic: vote.topic,
                    vote: vote.number,
                    pid,
                    thumb,
                })
            })
            .collect(),
        items: table
            .items
            .iter()
            .filter_map(|&id| lc.item(id))
            .filter(|item| !item.deleted)
            .map(|item| ItemExport {
                id: item.id,
                topic: item.topic,
                text: item.text.clone(),
                author: item.author,
                owner: item.owner,
                hidden: item.hidden,
            })
            .collect(),
    }
}

/// The organisers' summary: each table's ranked topics with their dots, and its action items
/// with their owners by pid; never a name.
pub fn outcome(lc: &LeanCoffee, _hall: &Hall<'_>, english: bool, blocks: &mut Vec<Block>) {
    let say = |en: &str, nb: &str| if english { en.to_owned() } else { nb.to_owned() };
    let mut any = false;
    for table in lc.tables() {
        let topics: Vec<&Topic> = lc.shown_topics(table).collect();
        let items: Vec<String> = table
            .items
            .iter()
            .filter_map(|&id| lc.item(id))
            .filter(|item| item.is_live())
            .map(|item| match (item.owner, english) {
                (Some(owner), true) => format!("{} (owner {owner})", item.text),
                (Some(owner), false) => format!("{} (ansvarlig {owner})", item.text),
                (None, _) => item.text.clone(),
            })
            .collect();
        if topics.is_empty() && items.is_empty() {
            continue;
        }
        any = true;
        let name = match table.name.as_str() {
            "" => say("The table", "Bordet"),
            name => format!("{} {name}", say("Table", "Bord")),
        };
        blocks.push(Block::Subheading(name));
        if !topics.is_empty() {
            let unit = say("dots", "prikker");
            blocks.push(Block::List(
                topics
                    .iter()
                    .map(|topic| {
                        let mut line = match topic.rank {
                            Some(rank) => format!("#{rank} {}", topic.text),
                            None => topic.text.clone(),
                        };
                        for merged in topic.merged.iter().filter_map(|&id| lc.topic(id)) {
                            if !merged.hidden && !merged.deleted {
                                line.push_str(&format!(" + {}", merged.text));
                            }
                        }
                        format!("{line} ({} {unit})", topic.total)
                    })
                    .collect(),
            ));
        }
        if !items.is_empty() {
            blocks.push(Block::Text(say("Action items:", "Tiltak:")));
            blocks.push(Block::List(items));
        }
    }
    if !any {
        blocks.push(Block::Text(say("No topics were added.", "Ingen temaer ble lagt til.")));
    }
}

#[cfg(test)]
mod tests {
    use lapp_protocol::{Language, LeanCoffeeConfig};

    use super::*;
    use crate::engine::leancoffee::Stage;

    #[test]
    fn tables_are_counted_as_people_count_them() {
        let mut names = vec!["Table 10", "Bord B", "Table 2", "", "Table 1", "Bord A", "Table 100"];
        names.sort_by_key(|name| as_counted(name));
        assert_eq!(names, ["", "Bord A", "Bord B", "Table 1", "Table 2", "Table 10", "Table 100"]);
    }

    /// A removed participant's topics and items leave every view and count, the dots on their
    /// topics go back, and the export keeps them, marked.
    #[test]
    fn what_a_removed_author_wrote_is_hidden() {
        let hall = Hall {
            participants: &[],
            language: Language::English,
            now_ms: 5,
            present: &[],
            leaderboard_entries: 0,
        };
        let mut lc = LeanCoffee::new(LeanCoffeeConfig::default());
        let (kept, removed) = (Pid(1), Pid(2));
        let seats = [(kept, "A".to_owned()), (removed, "A".to_owned())];
        macro_rules! apply {
            ($decided:expr) => {{
                let event = $decided.expect("allowed");
                lc.apply(&event);
            }};
        }
        apply!(lc.next_phase(&seats, 0));
        apply!(lc.add_topic(kept, "Kept"));
        apply!(lc.add_topic(removed, "Removed"));
        apply!(lc.next_phase(&seats, 0));
        for (pid, topic, count) in [(kept, TopicId(1), 2), (removed, TopicId(0), 1)] {
            apply!(lc.set_dots(pid, topic, count).map(|event| event.expect("a change")));
        }
        apply!(lc.next_phase(&seats, 0));
        assert_eq!(lc.stage(), Stage::Discuss);
        assert_eq!(lc.table(0).and_then(|table| table.current), Some(TopicId(1)), "Removed's");
        apply!(lc.add_item(Who::Member(removed), None, "Removed's item", Some(kept)));
        apply!(lc.add_item(Who::Member(kept), None, "Kept's item", None));
        let hidden = LeanCoffee::hide_author(&lc, removed).expect("something to hide");
        lc.apply(&hidden);
        assert_eq!(LeanCoffee::hide_author(&lc, removed), None, "hidden once");

        let view = table_view(&lc, &hall, 0, Some(kept));
        assert_eq!(view.topics.iter().map(|topic| topic.text.as_str()).collect::<Vec<_>>(), vec!["Kept"]);
        assert_eq!(view.items.iter().map(|item| item.text.as_str()).collect::<Vec<_>>(), vec!["Kept's item"]);
        assert_eq!(view.current, Some(TopicId(1)), "the topic under discussion stays current");
        let brief = hall_view(&lc, &hall);
        assert_eq!((brief.tables[0].topics, brief.tables[0].current.as_deref()), (1, None));
        assert!(brief.top.iter().all(|top| top.text != "Removed"));
        let counts = counts(&lc);
        assert_eq!((counts.topics, counts.items, counts.dots, counts.voters), (1, 1, 1, 1));
        assert_eq!(lc.spent(kept), 0, "the dots on the hidden topic went back");
        let export = table_export(&lc, &lc.tables()[0]);
        let marked: Vec<(&str, bool)> =
            export.topics.iter().map(|topic| (topic.text.as_str(), topic.hidden)).collect();
        assert_eq!(marked, vec![("Kept", false), ("Removed", true)]);
        let marked: Vec<(&str, bool)> =
            export.items.iter().map(|item| (item.text.as_str(), item.hidden)).collect();
        assert_eq!(marked, vec![("Removed's item", true), ("Kept's item", false)]);
    }

    #[test]
    fn facilitators_get_a_bounded_fair_share_of_tables_each_tick() {
        let check = |changed: &[u32], tables: usize, sent: &[u32], left: &[u32]| {
            let mut changed = changed.to_vec();
            assert_eq!(this_tick(&mut changed, tables), sent);
            assert_eq!(changed, left);
        };
        check(&[3, 1, 3, 2, 1], 4, &[3, 1, 2], &[]);
        check(&[5, 0], 4, &[0], &[]);
        let many: Vec<u32> = (0..40).rev().collect();
        check(&many, 40, &many[..TABLES_PER_TICK], &many[TABLES_PER_TICK..]);
        // What was left goes first at the next tick, before tables that changed since.
        let mut changed: Vec<u32> = (0..20).collect();
        this_tick(&mut changed, 40);
        changed.extend([30, 0, 17]);
        assert_eq!(this_tick(&mut changed, 40), vec![16, 17, 18, 19, 30, 0]);
        assert!(changed.is_empty());
    }
}
