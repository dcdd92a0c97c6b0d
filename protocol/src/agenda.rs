//! A session's agenda and the HTTP bodies that create a session.

use serde::{Deserialize, Serialize};

use crate::actions::ActionsConfig;
use crate::grouping::GroupingConfig;
use crate::ids::JoinCode;
use crate::leancoffee::LeanCoffeeConfig;
use crate::limits::{
    MAX_AGENDA_ITEMS, MAX_FOLLOW_UP_DAY, MAX_FOLLOW_UP_DAYS, MAX_PROMPT_CHARS, MAX_ROUNDS, MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
};
use crate::retro::RetroConfig;
use crate::scoring::ScoringConfig;

/// What kind of method an activity runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    Scoring,
    Grouping,
    Actions,
    #[serde(rename = "leancoffee")]
    LeanCoffee,
    Retro,
}

/// One item of the agenda: the method, the question asked and its settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AgendaItem {
    Scoring {
        prompt: String,
        #[serde(flatten)]
        config: ScoringConfig,
    },
    Grouping {
        prompt: String,
        #[serde(flatten)]
        config: GroupingConfig,
    },
    Actions {
        prompt: String,
        #[serde(flatten)]
        config: ActionsConfig,
    },
    #[serde(rename = "leancoffee")]
    LeanCoffee {
        prompt: String,
        #[serde(flatten)]
        config: LeanCoffeeConfig,
    },
    Retro {
        prompt: String,
        #[serde(flatten)]
        config: RetroConfig,
    },
}

impl AgendaItem {
    pub fn kind(&self) -> ActivityKind {
        match self {
            AgendaItem::Scoring { .. } => ActivityKind::Scoring,
            AgendaItem::Grouping { .. } => ActivityKind::Grouping,
            AgendaItem::Actions { .. } => ActivityKind::Actions,
            AgendaItem::LeanCoffee { .. } => ActivityKind::LeanCoffee,
            AgendaItem::Retro { .. } => ActivityKind::Retro,
        }
    }

    pub fn prompt(&self) -> &str {
        match self {
            AgendaItem::Scoring { prompt, .. }
            | AgendaItem::Grouping { prompt, .. }
            | AgendaItem::Actions { prompt, .. }
            | AgendaItem::LeanCoffee { prompt, .. }
            | AgendaItem::Retro { prompt, .. } => prompt,
        }
    }
}

/// `POST /api/sessions` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateSession {
    pub title: String,
    pub agenda: Vec<AgendaItem>,
    /// The language of what the server words itself, such as group labels.
    #[serde(default)]
    pub language: Language,
    /// What participants are called.
    #[serde(default)]
    pub names: Names,
}

/// What participants are called: the name they type, none, or one the server gives them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Names {
    /// Whatever they type (optional).
    #[default]
    Free,
    /// No names at all.
    Off,
    /// A friendly two-word name in the session's language, so nobody can type an offensive one.
    Generated,
}

impl Names {
    pub fn is_free(&self) -> bool {
        *self == Names::Free
    }
}

/// The languages Lapp speaks: Norwegian bokmål and English.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Language {
    #[default]
    #[serde(rename = "nb")]
    Bokmal,
    #[serde(rename = "en")]
    English,
}

impl CreateSession {
    /// Checks the bounds a new session must keep; the message says which one failed.
    pub fn validate(&self) -> Result<(), String> {
        if self.title.trim().is_empty() {
            return Err("title must not be empty".into());
        }
        if self.title.chars().count() > MAX_TITLE_CHARS {
            return Err(format!("title is longer than {MAX_TITLE_CHARS} characters"));
        }
        validate_agenda(&self.agenda)
    }
}

/// Checks the bounds an agenda must keep, at creation and when a facilitator edits it; the
/// message says which one failed.
pub fn validate_agenda(agenda: &[AgendaItem]) -> Result<(), String> {
    if agenda.is_empty() || agenda.len() > MAX_AGENDA_ITEMS {
        return Err(format!("agenda must hold 1 to {MAX_AGENDA_ITEMS} activities"));
    }
    for (index, item) in agenda.iter().enumerate() {
        let prompt = item.prompt();
        if prompt.trim().is_empty() || prompt.chars().count() > MAX_PROMPT_CHARS {
            return Err(format!("agenda[{index}].prompt must be 1 to {MAX_PROMPT_CHARS} characters"));
        }
        match item {
            AgendaItem::Scoring { config, .. } => {
                if !(1..=MAX_ROUNDS).contains(&config.rounds) {
                    return Err(format!("agenda[{index}].rounds must be 1 to {MAX_ROUNDS}"));
                }
                if !(1..=100).contains(&config.top) {
                    return Err(format!("agenda[{index}].top must be 1 to 100"));
                }
                if !(1..=MAX_TEXT_CHARS as u32).contains(&config.max_chars) {
                    return Err(format!("agenda[{index}].max_chars must be 1 to {MAX_TEXT_CHARS}"));
                }
            }
            AgendaItem::Grouping { config, .. } => {
                let sizes_ok = !config.sizes.is_empty()
                    && config.sizes.len() <= 3
                    && config.sizes.iter().all(|size| (2..=50).contains(size))
                    && config.sizes.windows(2).all(|pair| pair[0] < pair[1]);
                if !sizes_ok {
                    return Err(format!(
                        "agenda[{index}].sizes must be 1 to 3 growing group sizes of 2 to 50"
                    ));
                }
                if !(1..=MAX_TEXT_CHARS as u32).contains(&config.max_chars) {
                    return Err(format!("agenda[{index}].max_chars must be 1 to {MAX_TEXT_CHARS}"));
                }
            }
            AgendaItem::Actions { config, .. } => {
                if !(1..=MAX_TEXT_CHARS as u32).contains(&config.max_chars) {
                    return Err(format!("agenda[{index}].max_chars must be 1 to {MAX_TEXT_CHARS}"));
                }
                let days = &config.follow_up_days;
                let days_ok = days.len() <= MAX_FOLLOW_UP_DAYS
                    && days.iter().all(|day| (1..=MAX_FOLLOW_UP_DAY).contains(day))
                    && days.windows(2).all(|pair| pair[0] < pair[1]);
                if !days_ok {
                    return Err(format!(
                        "agenda[{index}].follow_up_days must be at most {MAX_FOLLOW_UP_DAYS} growing days of 1 to {MAX_FOLLOW_UP_DAY}"
                    ));
                }
            }
            AgendaItem::LeanCoffee { config, .. } => {
                if !(1..=MAX_TEXT_CHARS as u32).contains(&config.max_chars) {
                    return Err(format!("agenda[{index}].max_chars must be 1 to {MAX_TEXT_CHARS}"));
                }
                if !(1..=20).contains(&config.max_topics) {
                    return Err(format!("agenda[{index}].max_topics must be 1 to 20"));
                }
                if !(1..=20).contains(&config.dots) || config.max_dots_per_topic == Some(0) {
                    return Err(format!(
                        "agenda[{index}].dots must be 1 to 20, and max_dots_per_topic at least 1"
                    ));
                }
                let timeboxes = &config.timeboxes;
                if timeboxes.is_empty()
                    || timeboxes.len() > 10
                    || !timeboxes.iter().all(|s| (10..=7_200).contains(s))
                {
                    return Err(format!(
                        "agenda[{index}].timeboxes must be 1 to 10 lengths of 10 to 7,200 seconds"
                    ));
                }
                if !(5..=600).contains(&config.vote_seconds) {
                    return Err(format!("agenda[{index}].vote_seconds must be 5 to 600"));
                }
            }
            AgendaItem::Retro { config, .. } => {
                let columns = &config.columns;
                let labels_ok =
                    columns.iter().all(|label| !label.trim().is_empty() && label.chars().count() <= 40);
                if !(2..=4).contains(&columns.len()) || !labels_ok {
                    return Err(format!(
                        "agenda[{index}].columns must be 2 to 4 labels of 1 to 40 characters"
                    ));
                }
                if !(1..=MAX_TEXT_CHARS as u32).contains(&config.max_chars) {
                    return Err(format!("agenda[{index}].max_chars must be 1 to {MAX_TEXT_CHARS}"));
                }
                if !(1..=50).contains(&config.max_notes) {
                    return Err(format!("agenda[{index}].max_notes must be 1 to 50"));
                }
                if config.dots > 20 || config.vote_column as usize >= columns.len() {
                    return Err(format!(
                        "agenda[{index}].dots must be 0 to 20 and vote_column one of the columns"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// `GET /api/sessions/{code}`: what a phone shows before its owner joins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    pub code: JoinCode,
    pub title: String,
    pub language: Language,
    #[serde(default)]
    pub names: Names,
}

/// `201` answer to `POST /api/sessions`. The key is shown once; keep it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionCreated {
    pub code: JoinCode,
    pub key: String,
    pub urls: SessionUrls,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUrls {
    pub participant: String,
    /// Carries the key in the fragment (`#key=`), which browsers never send to a server.
    pub facilitator: String,
    pub screen: String,
}

/// The body of every HTTP error: the same codes as the WebSocket `error` frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpError {
    pub code: crate::ErrorCode,
    pub message: String,
}
