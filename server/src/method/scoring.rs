//! The 25/10 as a method: its requests, views, export and what each change tells whom, over
//! the pure engine in `engine::scoring`.

use std::collections::HashMap;

use lapp_protocol::{
    ActivityExport, CardExport, CardId, CardText, Hand, Leaderboard, LeaderboardEntry, Phase, Pid, Progress,
    Reveal, Role, ScoreExport, ScoringMsg, ServerMsg, View, Yours,
};
use rand::Rng;

use super::{Hall, Item, Method, Named, Pending, Position};
use crate::actor::{Fanout, Frame, Target};
use crate::engine::Refusal;
use crate::engine::scoring::{Card, Scoring, ScoringEvent};
use crate::session::Sender;

impl Method for Scoring {
    type Event = ScoringEvent;
    type Msg = ScoringMsg;

    fn decide(
        &self,
        _hall: &Hall<'_>,
        sender: Sender,
        msg: &ScoringMsg,
        _rng: &mut impl Rng,
    ) -> Result<Vec<ScoringEvent>, Refusal> {
        match msg {
            ScoringMsg::CardWrite { text } => {
                let pid = sender.participant(msg.type_name())?;
                let event = self.write(pid, text)?;
                // The same text again changes nothing and stores nothing.
                let unchanged = matches!(&event, ScoringEvent::CardWritten { text, .. }
                    if self.mine(pid).is_some_and(|card| &card.text == text));
                Ok(if unchanged { Vec::new() } else { vec![event] })
            }
            ScoringMsg::CardScore { round, card, score } => {
                let pid = sender.participant(msg.type_name())?;
                let event = self.score(pid, *round, *card, *score)?;
                // The same score again changes nothing and stores nothing.
                let unchanged = self.hand(pid).is_some_and(|(_, given)| given == Some(*score));
                Ok(if unchanged { Vec::new() } else { vec![event] })
            }
            ScoringMsg::CardHide { card, hidden } => {
                sender.facilitator(msg.type_name())?;
                Ok(vec![self.hide(*card, *hidden)?])
            }
            ScoringMsg::Reveal { count, shown } => {
                sender.facilitator(msg.type_name())?;
                Ok(vec![self.reveal(*count, *shown)?])
            }
        }
    }

    fn apply(&mut self, event: &ScoringEvent) {
        Scoring::apply(self, event);
    }

    fn next_phase(&self, hall: &Hall<'_>, rng: &mut impl Rng) -> Result<ScoringEvent, Refusal> {
        Scoring::next_phase(self, hall.present, rng)
    }

    fn step_back(&self) -> Result<ScoringEvent, Refusal> {
        Scoring::step_back(self)
    }

    fn position(&self) -> Position {
        let (phase, round) = self.phase();
        Position { phase, round, level: None }
    }

    fn late_arrival(&self, _hall: &Hall<'_>, pid: Pid) -> Option<ScoringEvent> {
        self.late_hand(pid)
    }

    fn author(&self, item: Item) -> Option<Pid> {
        match item {
            Item::Card(card) => self.card(card).map(|card| card.author),
            _ => None,
        }
    }

    fn hide_author(&self, pid: Pid) -> Vec<ScoringEvent> {
        self.mine(pid)
            .filter(|card| !card.hidden)
            .map(|card| ScoringEvent::CardHidden { card: card.id, hidden: true })
            .into_iter()
            .collect()
    }

    fn named(&self, pid: Option<Pid>, msg: &ScoringMsg, _events: &[ScoringEvent]) -> Named {
        // Writing the same text again stores nothing, but the ack still names the card.
        let card = match msg {
            ScoringMsg::CardWrite { .. } => pid.and_then(|pid| self.mine(pid)).map(|card| card.id),
            _ => None,
        };
        Named { card, ..Named::default() }
    }

    fn progress(&self, hall: &Hall<'_>, progress: &mut Progress) {
        (progress.phase, progress.round) = self.phase();
        progress.cards = self.cards().len() as u32;
        (progress.handed, progress.scored) = self.round_progress();
        if progress.phase == Phase::Round {
            progress.sitting_out =
                Some(hall.present.iter().filter(|&&pid| self.hand(pid).is_none()).count() as u32);
        }
    }

    fn view(&self, hall: &Hall<'_>, role: Role, pid: Option<Pid>, view: &mut View) {
        match role {
            Role::Facilitator => {
                view.leaderboard = Some(leaderboard(self, hall.leaderboard_entries));
                view.reveal = reveal(self);
            }
            Role::Screen => view.reveal = reveal(self),
            Role::Participant => {
                let Some(pid) = pid else { return };
                view.mine = self.mine(pid).map(card_text);
                if let (Phase::Round, Some(round)) = self.phase() {
                    let (card, score) =
                        self.hand(pid).map_or((None, None), |(card, score)| (Some(card), score));
                    view.hand = Some(Hand { round, card: card.map(card_text), score });
                }
                if self.phase().0 == Phase::Results {
                    view.results = self.yours(pid, &self.ranking());
                    view.reveal = reveal(self);
                }
            }
        }
    }

    fn export(&self, _hall: &Hall<'_>, export: &mut ActivityExport) {
        export.cards = self.cards().iter().map(card_export).collect();
    }

    fn affected(&self, event: &ScoringEvent) -> Vec<Pid> {
        match event {
            // Who holds a card being hidden is known only before it leaves their hand.
            ScoringEvent::CardHidden { card, hidden: true } => {
                self.hands().filter(|&(_, held)| held == *card).map(|(pid, _)| pid).collect()
            }
            _ => Vec::new(),
        }
    }

    fn announce(&self, _hall: &Hall<'_>, event: &ScoringEvent, affected: Vec<Pid>, out: &mut Fanout<'_>) {
        match event {
            ScoringEvent::WritingOpened => {
                out.send_activity(Target::Everyone);
                out.pending.progress = true;
            }
            ScoringEvent::CardWritten { pid, .. } => {
                out.send(
                    Target::Participant(*pid),
                    &ServerMsg::Mine { card: self.mine(*pid).map(card_text) },
                );
                out.pending.progress = true;
                out.pending.board = true;
            }
            ScoringEvent::RoundStarted { .. } => {
                // A participant's `hand` carries the round and so stands for the `activity`
                // (docs/protocol.md): one frame per phone at the busiest moment. The
                // leaderboard does not change with the phase, so it is not sent again.
                let activity = out.activity();
                bring_everyone_up_to_date(self, out, activity.as_ref(), false);
                out.pending.progress = true;
            }
            ScoringEvent::ResultsReached => {
                let activity = out.activity();
                bring_everyone_up_to_date(self, out, activity.as_ref(), true);
                out.pending.progress = true;
            }
            ScoringEvent::SteppedBack => {
                let activity = out.activity();
                bring_everyone_up_to_date(self, out, activity.as_ref(), true);
                // Leaving the results takes back what was revealed, on the facilitators'
                // pages too (their activity is the same, so they would keep showing it).
                out.send(Target::Everyone, &reveal_frame(self));
                out.pending.progress = true;
                out.pending.board = true;
            }
            ScoringEvent::CardHanded { round, pid, card } => {
                let card = self.card(*card).map(card_text);
                out.send(
                    Target::Participant(*pid),
                    &ServerMsg::Hand(Hand { round: *round, card, score: None }),
                );
                out.pending.progress = true;
            }
            ScoringEvent::CardScored { .. } => {
                out.pending.progress = true;
                out.pending.board = true;
            }
            ScoringEvent::CardHidden { .. } => {
                if let (Some(&pid), (Phase::Round, Some(round))) = (affected.first(), self.phase()) {
                    out.send(
                        Target::Participant(pid),
                        &ServerMsg::Hand(Hand { round, card: None, score: None }),
                    );
                }
                if reveal(self).is_some() {
                    out.send(Target::Audience, &reveal_frame(self));
                }
                // Ranks move when a card leaves or comes back: everyone's result is sent again,
                // and a hidden card's author no longer sees a rank for it.
                if self.phase().0 == Phase::Results {
                    bring_everyone_up_to_date(self, out, None, false);
                }
                out.pending.progress = true;
                out.pending.board = true;
            }
            ScoringEvent::Revealed { .. } => out.send(Target::Everyone, &reveal_frame(self)),
        }
    }

    fn show_afresh(&self, _hall: &Hall<'_>, out: &mut Fanout<'_>) {
        let activity = out.activity();
        bring_everyone_up_to_date(self, out, activity.as_ref(), true);
        if reveal(self).is_some() {
            out.send(Target::Everyone, &reveal_frame(self));
        }
        out.pending.board = true;
    }

    fn send_pending(&self, hall: &Hall<'_>, pending: &mut Pending, out: &mut Fanout<'_>) {
        if std::mem::take(&mut pending.board) {
            out.send(
                Target::Facilitators,
                &ServerMsg::Leaderboard(leaderboard(self, hall.leaderboard_entries)),
            );
        }
    }
}

/// After a phase change: `activity` for facilitators and screens and, with
/// `participants_too`, for participants; then each connected participant's `hand`, `results`
/// or `mine` right behind it, so that a phone's frames are queued together and leave in one
/// write.
fn bring_everyone_up_to_date(
    scoring: &Scoring,
    out: &mut Fanout<'_>,
    activity: Option<&Frame>,
    participants_too: bool,
) {
    // One ranking for everyone: it sorts every card.
    let ranking = if scoring.phase().0 == Phase::Results { scoring.ranking() } else { Vec::new() };
    let rank_of: HashMap<CardId, &LeaderboardEntry> =
        ranking.iter().map(|entry| (entry.card, entry)).collect();
    out.bring_up_to_date(activity, participants_too, |pid| own_frame(scoring, pid, &rank_of));
}

/// A participant's own side of the 25/10's phase: `hand`, `results` or `mine`.
fn own_frame(scoring: &Scoring, pid: Pid, rank_of: &HashMap<CardId, &LeaderboardEntry>) -> Option<Frame> {
    let msg = match scoring.phase() {
        (Phase::Round, Some(round)) => {
            let (card, score) = scoring
                .hand(pid)
                .map_or((None, None), |(card, score)| (Some((card.id, card.text.as_str())), score));
            return Some(Frame::encoded("hand", Hand::encode_from(round, card, score)));
        }
        (Phase::Results, _) => {
            let yours = scoring.mine(pid).and_then(|card| rank_of.get(&card.id)).map(|entry| Yours {
                total: entry.total,
                count: entry.count,
                rank: entry.rank,
            });
            ServerMsg::Results { yours }
        }
        _ => ServerMsg::Mine { card: scoring.mine(pid).map(card_text) },
    };
    Some(Frame::of(&msg))
}

/// The facilitators' live leaderboard: the best `limit` cards and the hidden ones.
pub fn leaderboard(scoring: &Scoring, limit: usize) -> Leaderboard {
    let mut entries = scoring.ranking();
    entries.truncate(limit);
    Leaderboard { entries, hidden: scoring.hidden_cards() }
}

/// What screens (and, after results, participants) have been shown of the ranking.
pub fn reveal(scoring: &Scoring) -> Option<Reveal> {
    if scoring.revealed() == 0 {
        return None;
    }
    let mut entries = scoring.ranking();
    entries.truncate(scoring.revealed() as usize);
    if let Some(shown) = scoring.shown() {
        entries.drain(..entries.len().saturating_sub(shown as usize));
    }
    Some(Reveal { count: scoring.revealed(), shown: scoring.shown(), entries })
}

/// The current reveal; an empty one (count 0) clears what screens show.
pub fn reveal_frame(scoring: &Scoring) -> ServerMsg {
    ServerMsg::Reveal(reveal(scoring).unwrap_or_else(Reveal::none))
}

pub fn card_text(card: &Card) -> CardText {
    CardText { id: card.id, text: card.text.clone() }
}

fn card_export(card: &Card) -> CardExport {
    CardExport {
        id: card.id,
        author: card.author,
        text: card.text.clone(),
        hidden: card.hidden,
        total: card.total,
        count: card.count(),
        scores: card.scores.iter().map(|&(round, pid, score)| ScoreExport { round, pid, score }).collect(),
    }
}
