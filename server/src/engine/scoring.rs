//! The 25/10 engine: everyone writes one card, cards are handed on for `rounds` rounds, each
//! holder scores the card in hand 1 to 5, and the leaderboard ranks the cards.
//!
//! The rules it keeps are those of PROTOCOL.md's scoring section; `tests` checks them as
//! properties over random halls.

use std::cmp::{Ordering, Reverse};

use lapp_protocol::{CardId, CardText, ErrorCode, LeaderboardEntry, Phase, Pid, Score, ScoringConfig, Yours};
use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::{Refusal, clean_text};

/// Where a scoring activity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Stage {
    Lobby,
    Writing,
    Round { round: u32 },
    Results,
}

/// Everything that changes a scoring activity. Hand-outs are stored as their outcome, so
/// replaying these never draws a random number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ScoringEvent {
    WritingOpened,
    CardWritten {
        pid: Pid,
        card: CardId,
        text: String,
    },
    RoundStarted {
        round: u32,
        /// The random order of holders drawn at round 1; later rounds reuse it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cycle: Option<Vec<Pid>>,
        hands: Vec<(Pid, CardId)>,
    },
    /// A card handed to one participant after the round's hand-out.
    CardHanded {
        round: u32,
        pid: Pid,
        card: CardId,
    },
    CardScored {
        round: u32,
        pid: Pid,
        card: CardId,
        score: Score,
    },
    CardHidden {
        card: CardId,
        hidden: bool,
    },
    ResultsReached,
    /// The facilitator's undo of the last step: from round r back to round r − 1 as it was
    /// when it closed (its hands and scores), from round 1 back to writing, from results back
    /// to the last round. What happened in the step undone (its hands and scores) is dropped.
    SteppedBack,
    Revealed {
        count: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shown: Option<u32>,
    },
}

/// One card and everything scored on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub id: CardId,
    pub author: Pid,
    pub text: String,
    pub hidden: bool,
    /// Every score given, as (round, holder, score); a changed score replaces its entry.
    pub scores: Vec<(u32, Pid, Score)>,
    pub total: u32,
    /// How many times it has been handed out.
    pub handed: u32,
}

impl Card {
    pub fn count(&self) -> u32 {
        self.scores.len() as u32
    }
}

/// One participant as this activity knows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Holder {
    card: Option<CardId>,
    /// Every card ever handed to them in this activity, in order.
    seen: Vec<CardId>,
    hand: Option<CardId>,
    score: Option<Score>,
}

/// The state of one scoring activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scoring {
    config: ScoringConfig,
    stage: Stage,
    cards: Vec<Card>,
    /// Indexed by `Pid::index()`; grown as participants appear.
    holders: Vec<Holder>,
    cycle: Vec<Pid>,
    revealed: u32,
    /// Revealing one card at a time: how many of the top `revealed` are shown, from the bottom.
    shown: Option<u32>,
    /// Every hand-out of each round so far (`handed_in[0]` is round 1), so a step back can
    /// take a round's back.
    handed_in: Vec<Vec<(Pid, CardId)>>,
    /// Each closed round's hands as they were when it closed, with the score given, so a step
    /// back reopens it as it was.
    closed: Vec<Vec<(Pid, CardId, Option<Score>)>>,
}

impl Scoring {
    pub fn new(config: ScoringConfig) -> Scoring {
        Scoring {
            config,
            stage: Stage::Lobby,
            cards: Vec::new(),
            holders: Vec::new(),
            cycle: Vec::new(),
            revealed: 0,
            shown: None,
            handed_in: Vec::new(),
            closed: Vec::new(),
        }
    }

    pub fn config(&self) -> &ScoringConfig {
        &self.config
    }

    pub fn stage(&self) -> Stage {
        self.stage
    }

    pub fn phase(&self) -> (Phase, Option<u32>) {
        match self.stage {
            Stage::Lobby => (Phase::Lobby, None),
            Stage::Writing => (Phase::Writing, None),
            Stage::Round { round } => (Phase::Round, Some(round)),
            Stage::Results => (Phase::Results, None),
        }
    }

    pub fn cards(&self) -> &[Card] {
        &self.cards
    }

    pub fn card(&self, id: CardId) -> Option<&Card> {
        id.index().checked_sub(1).and_then(|index| self.cards.get(index))
    }

    fn card_mut(&mut self, id: CardId) -> Option<&mut Card> {
        id.index().checked_sub(1).and_then(|index| self.cards.get_mut(index))
    }

    fn holder(&self, pid: Pid) -> Option<&Holder> {
        self.holders.get(pid.index())
    }

    fn holder_mut(&mut self, pid: Pid) -> &mut Holder {
        if self.holders.len() <= pid.index() {
            self.holders.resize_with(pid.index() + 1, Holder::default);
        }
        &mut self.holders[pid.index()]
    }

    /// The card `pid` wrote.
    pub fn mine(&self, pid: Pid) -> Option<&Card> {
        self.holder(pid).and_then(|holder| holder.card).and_then(|id| self.card(id))
    }

    /// The card in `pid`'s hand this round, and the score they gave it so far.
    pub fn hand(&self, pid: Pid) -> Option<(&Card, Option<Score>)> {
        let holder = self.holder(pid)?;
        let card = self.card(holder.hand?)?;
        Some((card, holder.score))
    }

    /// Every hand of the current round, as (holder, card).
    pub fn hands(&self) -> impl Iterator<Item = (Pid, CardId)> + '_ {
        self.holders.iter().enumerate().filter_map(|(index, holder)| Some((Pid(index as u32), holder.hand?)))
    }

    /// Every card `pid` has been handed in this activity, in order.
    pub fn seen(&self, pid: Pid) -> &[CardId] {
        self.holder(pid).map(|holder| holder.seen.as_slice()).unwrap_or(&[])
    }

    pub fn revealed(&self) -> u32 {
        self.revealed
    }

    /// While revealing one card at a time, how many of the top `revealed` are shown.
    pub fn shown(&self) -> Option<u32> {
        self.shown
    }

    /// (hands given out this round, hands scored this round).
    pub fn round_progress(&self) -> (u32, u32) {
        self.holders.iter().fold((0, 0), |(handed, scored), holder| {
            (handed + u32::from(holder.hand.is_some()), scored + u32::from(holder.score.is_some()))
        })
    }

    // ---- commands -------------------------------------------------------------------------

    /// A participant writes their card, or rewrites it while writing is open.
    pub fn write(&self, pid: Pid, text: &str) -> Result<ScoringEvent, Refusal> {
        if self.stage != Stage::Writing {
            return Err(Refusal::new(
                ErrorCode::WrongPhase,
                "cards can only be written while writing is open",
            ));
        }
        let text = clean_text(text, self.config.max_chars)?;
        let card = self.mine(pid).map_or(CardId(self.cards.len() as u32 + 1), |card| card.id);
        Ok(ScoringEvent::CardWritten { pid, card, text })
    }

    /// A holder scores the card in their hand; they may change it until the round closes.
    pub fn score(&self, pid: Pid, round: u32, card: CardId, score: Score) -> Result<ScoringEvent, Refusal> {
        let Stage::Round { round: current } = self.stage else {
            return Err(Refusal::new(ErrorCode::WrongPhase, "no round is open"));
        };
        if round != current {
            return Err(Refusal::new(
                ErrorCode::WrongPhase,
                format!("round {round} is not open; round {current} is"),
            ));
        }
        let Some(target) = self.card(card) else {
            return Err(Refusal::new(ErrorCode::UnknownItem, format!("no card {card}")));
        };
        if target.author == pid {
            return Err(Refusal::new(ErrorCode::OwnCard, "you cannot score your own card"));
        }
        if self.holder(pid).and_then(|holder| holder.hand) != Some(card) {
            return Err(Refusal::new(
                ErrorCode::NotYourCard,
                format!("{card} is not in your hand this round"),
            ));
        }
        Ok(ScoringEvent::CardScored { round, pid, card, score })
    }

    /// The facilitator moves on: lobby → writing → round 1..=rounds → results.
    /// `present` are the participants who can hold a card now.
    pub fn next_phase(&self, present: &[Pid], rng: &mut impl Rng) -> Result<ScoringEvent, Refusal> {
        let mut next_round = |round: u32| {
            let (cycle, hands) = self.hand_out_round(round, present, rng);
            ScoringEvent::RoundStarted { round, cycle, hands }
        };
        match self.stage {
            Stage::Lobby => Ok(ScoringEvent::WritingOpened),
            Stage::Writing => Ok(next_round(1)),
            Stage::Round { round } if round < self.config.rounds => Ok(next_round(round + 1)),
            Stage::Round { .. } => Ok(ScoringEvent::ResultsReached),
            Stage::Results => Err(Refusal::new(ErrorCode::WrongPhase, "this activity is finished")),
        }
    }

    /// A card for someone with an empty hand in an open round (they joined, or came back,
    /// after the hand-out): the free card with the fewest scores they may hold, if any.
    pub fn late_hand(&self, pid: Pid) -> Option<ScoringEvent> {
        let Stage::Round { round } = self.stage else {
            return None;
        };
        if self.holder(pid).is_some_and(|holder| holder.hand.is_some()) {
            return None;
        }
        let mut in_hand = vec![false; self.cards.len()];
        for holder in &self.holders {
            if let Some(card) = holder.hand {
                in_hand[card.index() - 1] = true;
            }
        }
        let card = self
            .cards
            .iter()
            .filter(|card| !in_hand[card.id.index() - 1] && self.may_hold(pid, card.id))
            .min_by_key(|card| (card.count(), card.handed, card.id))?;
        Some(ScoringEvent::CardHanded { round, pid, card: card.id })
    }

    pub fn hide(&self, card: CardId, hidden: bool) -> Result<ScoringEvent, Refusal> {
        if self.card(card).is_none() {
            return Err(Refusal::new(ErrorCode::UnknownItem, format!("no card {card}")));
        }
        Ok(ScoringEvent::CardHidden { card, hidden })
    }

    /// Shows the top `count` cards to screens and participants; only once scoring is over,
    /// since nobody but facilitators sees a score before then.
    /// With `shown`, only the lowest `shown` of the top `count` are shown, so the facilitator
    /// can reveal them one at a time, best last.
    pub fn reveal(&self, count: u32, shown: Option<u32>) -> Result<ScoringEvent, Refusal> {
        if self.stage != Stage::Results {
            return Err(Refusal::new(ErrorCode::WrongPhase, "cards are revealed once the results are in"));
        }
        let count = count.min(self.cards.len() as u32);
        let shown = shown.filter(|&shown| shown < count);
        Ok(ScoringEvent::Revealed { count, shown })
    }

    /// The facilitator's undo: see [`ScoringEvent::SteppedBack`].
    pub fn step_back(&self) -> Result<ScoringEvent, Refusal> {
        match self.stage {
            Stage::Round { .. } | Stage::Results => Ok(ScoringEvent::SteppedBack),
            Stage::Lobby | Stage::Writing => {
                Err(Refusal::new(ErrorCode::WrongPhase, "there is no round to go back to"))
            }
        }
    }

    // ---- events ---------------------------------------------------------------------------

    pub fn apply(&mut self, event: &ScoringEvent) {
        match event {
            ScoringEvent::WritingOpened => self.stage = Stage::Writing,
            ScoringEvent::CardWritten { pid, card, text } => {
                if let Some(existing) = self.card_mut(*card) {
                    existing.text.clone_from(text);
                } else {
                    self.cards.push(Card {
                        id: *card,
                        author: *pid,
                        text: text.clone(),
                        hidden: false,
                        scores: Vec::new(),
                        total: 0,
                        handed: 0,
                    });
                    self.holder_mut(*pid).card = Some(*card);
                }
            }
            ScoringEvent::RoundStarted { round, cycle, hands } => {
                if let Stage::Round { .. } = self.stage {
                    self.close_round();
                }
                self.handed_in.push(hands.clone());
                self.stage = Stage::Round { round: *round };
                if let Some(cycle) = cycle {
                    self.cycle.clone_from(cycle);
                }
                for holder in &mut self.holders {
                    holder.hand = None;
                    holder.score = None;
                }
                for &(pid, card) in hands {
                    let holder = self.holder_mut(pid);
                    holder.hand = Some(card);
                    holder.seen.push(card);
                    if let Some(card) = self.card_mut(card) {
                        card.handed += 1;
                    }
                }
            }
            ScoringEvent::CardHanded { round, pid, card } => {
                if let Some(handed) = self.handed_in.get_mut(*round as usize - 1) {
                    handed.push((*pid, *card));
                }
                let holder = self.holder_mut(*pid);
                holder.hand = Some(*card);
                holder.score = None;
                holder.seen.push(*card);
                if let Some(card) = self.card_mut(*card) {
                    card.handed += 1;
                }
            }
            ScoringEvent::CardScored { round, pid, card, score } => {
                let holder = self.holder_mut(*pid);
                holder.score = Some(*score);
                if let Some(card) = self.card_mut(*card) {
                    match card.scores.iter_mut().find(|(r, p, _)| r == round && p == pid) {
                        Some(entry) => {
                            card.total = card.total - u32::from(entry.2.get()) + u32::from(score.get());
                            entry.2 = *score;
                        }
                        None => {
                            card.scores.push((*round, *pid, *score));
                            card.total += u32::from(score.get());
                        }
                    }
                }
            }
            ScoringEvent::CardHidden { card, hidden } => {
                if let Some(target) = self.card_mut(*card) {
                    target.hidden = *hidden;
                }
                // A hidden card leaves every view, its holder's hand included.
                if *hidden {
                    for holder in &mut self.holders {
                        if holder.hand == Some(*card) {
                            holder.hand = None;
                            holder.score = None;
                        }
                    }
                }
            }
            ScoringEvent::ResultsReached => {
                self.close_round();
                self.stage = Stage::Results;
                for holder in &mut self.holders {
                    holder.hand = None;
                    holder.score = None;
                }
            }
            ScoringEvent::SteppedBack => self.step_back_now(),
            ScoringEvent::Revealed { count, shown } => {
                self.revealed = *count;
                self.shown = *shown;
            }
        }
    }

    /// Keeps the open round's hands, with their scores, for a step back to reopen.
    fn close_round(&mut self) {
        let hands = self
            .holders
            .iter()
            .enumerate()
            .filter_map(|(index, holder)| Some((Pid(index as u32), holder.hand?, holder.score)))
            .collect();
        self.closed.push(hands);
    }

    fn step_back_now(&mut self) {
        match self.stage {
            Stage::Results => {
                self.revealed = 0;
                self.shown = None;
            }
            Stage::Round { round } => {
                // The round's hand-outs and scores are taken back.
                for (pid, card) in self.handed_in.pop().unwrap_or_default() {
                    let holder = self.holder_mut(pid);
                    holder.seen.retain(|&seen| seen != card);
                    if let Some(card) = self.card_mut(card) {
                        card.handed -= 1;
                    }
                }
                for card in &mut self.cards {
                    card.scores.retain(|&(scored_in, _, _)| scored_in != round);
                    card.total = card.scores.iter().map(|(_, _, score)| u32::from(score.get())).sum();
                }
                if round == 1 {
                    // The cycle was drawn at round 1; writing may now add cards to it.
                    self.cycle.clear();
                }
            }
            Stage::Lobby | Stage::Writing => return,
        }
        for holder in &mut self.holders {
            holder.hand = None;
            holder.score = None;
        }
        // Holders the step gave a place to, and nothing else, are as if never seen.
        while self.holders.last().is_some_and(|holder| *holder == Holder::default()) {
            self.holders.pop();
        }
        let reopened = self.handed_in.len() as u32;
        if reopened == 0 {
            self.stage = Stage::Writing;
            return;
        }
        for (pid, card, score) in self.closed.pop().unwrap_or_default() {
            if self.card(card).is_some_and(|card| !card.hidden) {
                let holder = self.holder_mut(pid);
                holder.hand = Some(card);
                holder.score = score;
            }
        }
        self.stage = Stage::Round { round: reopened };
    }

    // ---- hand-out -------------------------------------------------------------------------

    /// Who holds which card in `round`.
    ///
    /// The base is a random cycle of every writer and every present non-writer, drawn at
    /// round 1: in round r the holder at place i gets the card written at place i + r. With
    /// steady membership that hands every card once per round, never twice to one holder and
    /// never to its writer. Repair then serves what the base could not (people who left,
    /// joined late, or whose card was hidden), keeping three things true at the end:
    /// - no free card could go to a free holder (as many cards handed as a greedy match can);
    /// - no free card could replace a handed card with more scores (fewest scores first);
    /// - no free holder could take a card from a holder who has held two more (late joiners
    ///   and people who wrote nothing still score).
    pub fn hand_out_round(
        &self,
        round: u32,
        present: &[Pid],
        rng: &mut impl Rng,
    ) -> (Option<Vec<Pid>>, Vec<(Pid, CardId)>) {
        let n_pids = present
            .iter()
            .chain(self.cards.iter().map(|card| &card.author))
            .chain(self.cycle.iter())
            .map(|pid| pid.index() + 1)
            .max()
            .unwrap_or(0)
            .max(self.holders.len());
        let mut is_present = vec![false; n_pids];
        for pid in present {
            is_present[pid.index()] = true;
        }

        let new_cycle = self.cycle.is_empty().then(|| {
            let mut in_cycle = vec![false; n_pids];
            let mut cycle: Vec<Pid> = Vec::with_capacity(present.len() + self.cards.len());
            for pid in self.cards.iter().map(|card| card.author).chain(present.iter().copied()) {
                if !in_cycle[pid.index()] {
                    in_cycle[pid.index()] = true;
                    cycle.push(pid);
                }
            }
            cycle.shuffle(rng);
            cycle
        });
        let cycle = new_cycle.as_deref().unwrap_or(&self.cycle);

        let mut hand_of: Vec<Option<CardId>> = vec![None; n_pids];
        let mut holder_of: Vec<Option<Pid>> = vec![None; self.cards.len()];
        let card_slot = |card: CardId| card.index() - 1;

        if !cycle.is_empty() {
            let shift = round as usize % cycle.len();
            for (place, &holder) in cycle.iter().enumerate() {
                let writer = cycle[(place + shift) % cycle.len()];
                let card = self.holder(writer).and_then(|w| w.card);
                if let Some(card) = card
                    && is_present[holder.index()]
                    && self.may_hold(holder, card)
                {
                    hand_of[holder.index()] = Some(card);
                    holder_of[card_slot(card)] = Some(holder);
                }
            }
        }

        let mut free_cards: Vec<CardId> = self
            .cards
            .iter()
            .filter(|card| !card.hidden && holder_of[card_slot(card.id)].is_none())
            .map(|card| card.id)
            .collect();
        let mut free_holders: Vec<Pid> =
            present.iter().copied().filter(|pid| hand_of[pid.index()].is_none()).collect();

        if !free_cards.is_empty() || !free_holders.is_empty() {
            self.repair(&mut hand_of, &mut holder_of, &mut free_cards, &mut free_holders, rng);
        }

        let hands = hand_of
            .iter()
            .enumerate()
            .filter_map(|(index, card)| Some((Pid(index as u32), (*card)?)))
            .collect();
        (new_cycle, hands)
    }

    /// Whether `pid` may be handed `card`: not their own, not seen before, not hidden.
    fn may_hold(&self, pid: Pid, card: CardId) -> bool {
        let Some(target) = self.card(card) else {
            return false;
        };
        !target.hidden && target.author != pid && !self.seen(pid).contains(&card)
    }

    fn held(&self, pid: Pid) -> usize {
        self.seen(pid).len()
    }

    fn repair(
        &self,
        hand_of: &mut [Option<CardId>],
        holder_of: &mut [Option<Pid>],
        free_cards: &mut Vec<CardId>,
        free_holders: &mut Vec<Pid>,
        rng: &mut impl Rng,
    ) {
        let count = |card: CardId| self.card(card).map_or(0, Card::count);
        let handed = |card: CardId| self.card(card).map_or(0, |card| card.handed);
        // Random tie-breaks, drawn once so every sort below agrees.
        free_cards.shuffle(rng);
        free_holders.shuffle(rng);
        let slot = |card: CardId| card.index() - 1;

        loop {
            let mut changed = false;

            // Fewest scores first, then fewest hand-outs; holders who have held least first.
            free_cards.sort_by_key(|&card| (count(card), handed(card)));
            free_holders.sort_by_key(|&pid| self.held(pid));
            let mut still_free = Vec::with_capacity(free_cards.len());
            for &card in free_cards.iter() {
                match free_holders.iter().position(|&pid| self.may_hold(pid, card)) {
                    Some(at) => {
                        let pid = free_holders.remove(at);
                        hand_of[pid.index()] = Some(card);
                        holder_of[slot(card)] = Some(pid);
                        changed = true;
                    }
                    None => still_free.push(card),
                }
            }
            *free_cards = still_free;

            // A free card with fewer scores takes the place of a handed one with more.
            if !free_cards.is_empty() {
                let mut handed_cards: Vec<CardId> = (0..holder_of.len())
                    .filter(|&i| holder_of[i].is_some())
                    .map(|i| CardId(i as u32 + 1))
                    .collect();
                handed_cards.sort_by_key(|&card| Reverse(count(card)));
                let mut freed = Vec::new();
                for &card in free_cards.iter() {
                    let swap = handed_cards.iter().take_while(|&&other| count(other) > count(card)).find_map(
                        |&other| {
                            let pid = holder_of[slot(other)]?;
                            (hand_of[pid.index()] == Some(other) && self.may_hold(pid, card))
                                .then_some((pid, other))
                        },
                    );
                    if let Some((pid, other)) = swap {
                        hand_of[pid.index()] = Some(card);
                        holder_of[slot(card)] = Some(pid);
                        holder_of[slot(other)] = None;
                        freed.push(other);
                        changed = true;
                    }
                }
                free_cards.retain(|&card| holder_of[slot(card)].is_none());
                free_cards.extend(freed.into_iter().filter(|&card| holder_of[slot(card)].is_none()));
            }

            // A free holder who has held two fewer cards takes a card from one who has held more.
            if !free_holders.is_empty() {
                let mut holding: Vec<Pid> =
                    (0..hand_of.len()).filter(|&i| hand_of[i].is_some()).map(|i| Pid(i as u32)).collect();
                holding.sort_by_key(|&pid| Reverse(self.held(pid)));
                let mut freed = Vec::new();
                for &pid in free_holders.iter() {
                    let swap = holding
                        .iter()
                        .take_while(|&&other| self.held(other) > self.held(pid) + 1)
                        .find_map(|&other| {
                            let card = hand_of[other.index()]?;
                            self.may_hold(pid, card).then_some((other, card))
                        });
                    if let Some((other, card)) = swap {
                        hand_of[pid.index()] = Some(card);
                        hand_of[other.index()] = None;
                        holder_of[slot(card)] = Some(pid);
                        freed.push(other);
                        changed = true;
                    }
                }
                free_holders.retain(|&pid| hand_of[pid.index()].is_none());
                free_holders.extend(freed);
            }

            if !changed || (free_cards.is_empty() && free_holders.is_empty()) {
                break;
            }
        }
    }

    // ---- results --------------------------------------------------------------------------

    /// The visible cards, best first: by mean (so by mean × rounds), then by count; cards not
    /// yet scored come last. Equal mean and count share a rank.
    pub fn ranking(&self) -> Vec<LeaderboardEntry> {
        let mut visible: Vec<&Card> = self.cards.iter().filter(|card| !card.hidden).collect();
        visible.sort_by(|a, b| compare_cards(a, b).then(a.id.cmp(&b.id)));
        let mut entries: Vec<LeaderboardEntry> = Vec::with_capacity(visible.len());
        for (position, card) in visible.iter().enumerate() {
            let rank = match position.checked_sub(1).map(|previous| visible[previous]) {
                Some(previous) if compare_cards(previous, card) == Ordering::Equal => {
                    entries.last().map_or(1, |entry| entry.rank)
                }
                _ => position as u32 + 1,
            };
            entries.push(LeaderboardEntry {
                rank,
                card: card.id,
                text: card.text.clone(),
                total: card.total,
                count: card.count(),
            });
        }
        entries
    }

    /// How `pid`'s own card did; `None` if they wrote none or it was hidden.
    pub fn yours(&self, pid: Pid, ranking: &[LeaderboardEntry]) -> Option<Yours> {
        let card = self.mine(pid)?;
        let entry = ranking.iter().find(|entry| entry.card == card.id)?;
        Some(Yours { total: entry.total, count: entry.count, rank: entry.rank })
    }

    pub fn hidden_cards(&self) -> Vec<CardText> {
        self.cards
            .iter()
            .filter(|card| card.hidden)
            .map(|card| CardText { id: card.id, text: card.text.clone() })
            .collect()
    }
}

/// Better cards order first: higher mean, then more scores; unscored cards last.
fn compare_cards(a: &Card, b: &Card) -> Ordering {
    match (a.count(), b.count()) {
        (0, 0) => Ordering::Equal,
        (0, _) => Ordering::Greater,
        (_, 0) => Ordering::Less,
        (a_count, b_count) => {
            // a.total / a_count vs b.total / b_count, exactly.
            let a_mean = u64::from(a.total) * u64::from(b_count);
            let b_mean = u64::from(b.total) * u64::from(a_count);
            b_mean.cmp(&a_mean).then(b_count.cmp(&a_count))
        }
    }
}

#[cfg(test)]
mod tests;
