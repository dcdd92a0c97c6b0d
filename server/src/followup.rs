//! After the event: a participant's follow-up link (`/a/{code}#{token}`) and its calendar
//! reminders, and the organisers' summary of what the session produced. All of it is read
//! from a committed snapshot of the session; a status set through the link is decided by the
//! session's actor like any request.

use std::fmt::Write as _;
use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lapp_protocol::{
    ActionsMsg, ClientMsg, ErrorCode, FollowUp, FollowUpItem, Language, Pid, Role, SetStatus,
};

use crate::AppState;
use crate::actor::{SessionHandle, ToActor};
use crate::engine::actions::Actions;
use crate::http::{ApiError, authorized, base_url, client_address, failed_lookup, find_session};
use crate::method::Activity;
use crate::session::{Context, Sender, Session};

const DAY_MS: u64 = 86_400_000;

/// Until when a session must be kept for its follow-ups, whatever `--retention-days` says:
/// a week after the last follow-up day of every actions activity with an action in it.
pub fn kept_until(session: &Session) -> u64 {
    let last_day = session.activities().filter_map(|(_, activity)| match activity {
        Activity::Actions(actions) if !actions.actions().is_empty() => {
            actions.config().follow_up_days.last().copied()
        }
        _ => None,
    });
    last_day.max().map_or(0, |day| session.created_at_ms + u64::from(day + 7) * DAY_MS)
}

/// What a follow-up link shows its owner.
pub fn view(session: &Session, pid: Pid) -> FollowUp {
    let hall = session.hall(&Context::NOBODY, 0);
    let actions = session
        .activities()
        .filter_map(|(index, activity)| {
            let Activity::Actions(actions) = activity else { return None };
            let mine = actions.mine(pid)?;
            Some(FollowUpItem {
                index: index as u32,
                prompt: session.agenda[index].prompt().to_owned(),
                text: mine.text.clone(),
                status: mine.status(),
                note: mine.note().map(str::to_owned),
                buddies: crate::method::actions::buddies(actions, &hall, pid),
                follow_up_days: actions.config().follow_up_days.clone(),
            })
        })
        .collect();
    FollowUp {
        title: session.title.clone(),
        created_at_ms: session.created_at_ms,
        language: session.language,
        actions,
    }
}

/// The session a follow-up link names as it is now, with the link's owner, after what `set`
/// asks of its activity is committed; a wrong link counts as a failed lookup.
async fn owner(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    (code, token): (&str, &str),
    set: Option<(usize, ClientMsg)>,
) -> Result<(Box<Session>, Pid), ApiError> {
    let address = client_address(&state.trusted_proxies, peer.ip(), headers);
    let (_, handle) = find_session(state, address, code).await?;
    let session = snapshot(&handle).await?;
    let Some(pid) = session.follow_up(token) else {
        failed_lookup(state, address);
        return Err(ApiError::new(StatusCode::NOT_FOUND, ErrorCode::UnknownItem, "no such follow-up link"));
    };
    let Some((index, msg)) = set else { return Ok((session, pid)) };
    let (reply, answer) = tokio::sync::oneshot::channel();
    let sender = Sender { role: Role::Participant, pid: Some(pid) };
    if !handle.send(ToActor::Command { sender, index, msg, reply }).await {
        return Err(unavailable());
    }
    answer
        .await
        .map_err(|_| unavailable())?
        .map_err(|refusal| ApiError::new(StatusCode::BAD_REQUEST, refusal.code, refusal.message))?;
    Ok((snapshot(&handle).await?, pid))
}

fn unavailable() -> ApiError {
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Internal, "the session is not available")
}

async fn snapshot(handle: &SessionHandle) -> Result<Box<Session>, ApiError> {
    handle.snapshot().await.ok_or_else(unavailable)
}

/// `GET /api/sessions/{code}/follow-up/{token}`
pub async fn show(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((code, token)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<FollowUp>, ApiError> {
    let (session, pid) = owner(&state, peer, &headers, (&code, &token), None).await?;
    Ok(Json(view(&session, pid)))
}

/// `POST /api/sessions/{code}/follow-up/{token}`: the owner sets how an action is going.
pub async fn set_status(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((code, token)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Json<SetStatus>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<FollowUp>, ApiError> {
    let Json(SetStatus { index, status, note }) =
        body.map_err(|err| ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::BadJson, err.body_text()))?;
    let msg = ClientMsg::Actions(ActionsMsg::ActionStatus { status, note });
    let (session, pid) = owner(&state, peer, &headers, (&code, &token), Some((index as usize, msg))).await?;
    Ok(Json(view(&session, pid)))
}

#[derive(Debug, serde::Deserialize)]
pub struct CalendarQuery {
    index: usize,
}

/// `GET /api/sessions/{code}/follow-up/{token}/calendar.ics?index=N`: a reminder on each
/// follow-up day, so the phone's own calendar reminds its owner and Lapp sends no e-mail.
pub async fn calendar(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path((code, token)): Path<(String, String)>,
    Query(query): Query<CalendarQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (session, pid) = owner(&state, peer, &headers, (&code, &token), None).await?;
    let item =
        view(&session, pid).actions.into_iter().find(|item| item.index as usize == query.index).ok_or_else(
            || ApiError::new(StatusCode::NOT_FOUND, ErrorCode::UnknownItem, "no action of yours there"),
        )?;
    let link = format!("{}/a/{}#{token}", base_url(&state, &headers), session.code);
    let body = ics(&session, pid, &item, &link, crate::now_ms());
    let disposition = format!("attachment; filename=\"lapp-{}-{}.ics\"", session.code, item.index);
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

/// An RFC 5545 calendar: one all-day event on each follow-up day, with an alarm at 09:00.
pub fn ics(session: &Session, pid: Pid, item: &FollowUpItem, link: &str, now_ms: u64) -> String {
    let english = session.language == Language::English;
    let title = if english { "Follow up: " } else { "Følg opp: " };
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Lapp//Lapp//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
    ];
    let summary: String = format!("{title}{}", item.text).chars().take(120).collect();
    for &day in &item.follow_up_days {
        let start = session.created_at_ms / DAY_MS + u64::from(day);
        lines.extend([
            "BEGIN:VEVENT".to_owned(),
            format!("UID:lapp-{}-{}-{}-{day}@lapp", session.code, item.index, pid),
            format!("DTSTAMP:{}", timestamp(now_ms)),
            format!("DTSTART;VALUE=DATE:{}", date(start)),
            format!("DTEND;VALUE=DATE:{}", date(start + 1)),
            format!("SUMMARY:{}", escape(&summary)),
            format!("DESCRIPTION:{}", escape(&format!("{}\n\n{link}", item.text))),
            format!("URL:{link}"),
            "BEGIN:VALARM".to_owned(),
            "ACTION:DISPLAY".to_owned(),
            "TRIGGER;RELATED=START:PT9H".to_owned(),
            format!("DESCRIPTION:{}", escape(&summary)),
            "END:VALARM".to_owned(),
            "END:VEVENT".to_owned(),
        ]);
    }
    lines.push("END:VCALENDAR".to_owned());
    lines.iter().map(|line| fold(line)).collect()
}

/// Text as a property value: backslashes, semicolons, commas and line breaks escaped.
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace(';', "\\;").replace(',', "\\,").replace('\r', "").replace('\n', "\\n")
}

/// A content line folded at 75 octets, never inside a character, and ended with CRLF.
fn fold(line: &str) -> String {
    let mut folded = String::with_capacity(line.len() + 8);
    let mut octets = 0;
    for c in line.chars() {
        if octets + c.len_utf8() > 75 {
            folded.push_str("\r\n ");
            octets = 1;
        }
        folded.push(c);
        octets += c.len_utf8();
    }
    folded.push_str("\r\n");
    folded
}

/// A day since the Unix epoch as `YYYYMMDD` (the civil calendar, after H. Hinnant).
fn date(days: u64) -> String {
    let (year, month, day) = civil(days);
    format!("{year:04}{month:02}{day:02}")
}

fn timestamp(ms: u64) -> String {
    let seconds = ms / 1000;
    let (year, month, day) = civil(seconds / 86_400);
    let in_day = seconds % 86_400;
    format!("{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z", in_day / 3600, in_day % 3600 / 60, in_day % 60)
}

fn civil(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[derive(Debug, serde::Deserialize)]
pub struct SummaryQuery {
    format: Option<String>,
}

/// `GET /api/sessions/{code}/summary?format=md|html` (facilitator key): what the session
/// produced, to paste into a blog post or print.
pub async fn summary(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    Query(query): Query<SummaryQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let address = client_address(&state.trusted_proxies, peer.ip(), &headers);
    let (_, handle) = authorized(&state, address, &code, &headers).await?;
    let session = snapshot(&handle).await?;
    let blocks = outcome(&session);
    match query.format.as_deref().unwrap_or("md") {
        "md" => {
            Ok(([(header::CONTENT_TYPE, "text/markdown; charset=utf-8")], markdown(&blocks)).into_response())
        }
        "html" => {
            let page = html(&session, &blocks, &base_url(&state, &headers));
            Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response())
        }
        other => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadJson,
            format!("format must be md or html, not {other:?}"),
        )),
    }
}

/// One piece of the summary, rendered as Markdown or HTML.
pub enum Block {
    Title(String),
    Heading(String),
    Subheading(String),
    Text(String),
    List(Vec<String>),
}

/// What each activity produced: the revealed top cards, the poster, the wall and the counts
/// of actions; never a name or a contact line.
fn outcome(session: &Session) -> Vec<Block> {
    let english = session.language == Language::English;
    let say = |en: &str, nb: &str| if english { en.to_owned() } else { nb.to_owned() };
    let (year, month, day) = civil(session.created_at_ms / DAY_MS);
    let mut blocks =
        vec![Block::Title(session.title.clone()), Block::Text(format!("{year:04}-{month:02}-{day:02}"))];
    let hall = session.hall(&Context::NOBODY, 0);
    for (index, activity) in session.activities() {
        blocks.push(Block::Heading(session.agenda[index].prompt().to_owned()));
        match activity {
            Activity::Scoring(scoring) => {
                let top = crate::method::scoring::reveal(scoring).map(|reveal| {
                    let mut ranking = scoring.ranking();
                    ranking.truncate(reveal.count as usize);
                    ranking
                });
                match top {
                    Some(top) => blocks.push(Block::List(
                        top.iter()
                            .map(|entry| {
                                format!("#{} {} ({} / {})", entry.rank, entry.text, entry.total, entry.count)
                            })
                            .collect(),
                    )),
                    None => blocks.push(Block::Text(say("No cards were revealed.", "Ingen kort ble vist."))),
                }
            }
            Activity::Grouping(grouping) => match crate::method::grouping::poster(grouping, &hall) {
                Some(poster) => {
                    for group in poster.into_iter().filter(|group| !group.notes.is_empty()) {
                        blocks.push(Block::Subheading(group.label));
                        blocks.push(Block::List(
                            group
                                .notes
                                .iter()
                                .map(|note| format!("{} (★ {})", note.text, note.stars))
                                .collect(),
                        ));
                    }
                }
                None => {
                    blocks.push(Block::Text(say("The poster was not reached.", "Plakaten ble ikke nådd.")))
                }
            },
            Activity::Actions(actions) => actions_outcome(actions, english, &mut blocks),
            Activity::LeanCoffee(leancoffee) => {
                crate::method::leancoffee::outcome(leancoffee, &hall, english, &mut blocks)
            }
            Activity::Retro(retro) => crate::method::retro::outcome(retro, english, &mut blocks),
        }
    }
    blocks
}

fn actions_outcome(actions: &Actions, english: bool, blocks: &mut Vec<Block>) {
    let counts = crate::method::actions::counts(actions);
    let mut text = String::new();
    let paired = counts.paired_chosen + counts.paired_random;
    if english {
        let _ = write!(
            text,
            "{} actions written, {paired} people paired with a buddy; as of now {} started and {} done.",
            counts.written, counts.started, counts.done
        );
    } else {
        let _ = write!(
            text,
            "{} mikrohandlinger skrevet, {paired} personer med makker; per nå {} påbegynt og {} fullført.",
            counts.written, counts.started, counts.done
        );
    }
    blocks.push(Block::Text(text));
    let wall: Vec<String> =
        crate::method::actions::wall(actions, false).into_iter().map(|entry| entry.text).collect();
    if !wall.is_empty() {
        blocks.push(Block::Subheading(if english { "The wall".into() } else { "Veggen".into() }));
        blocks.push(Block::List(wall));
    }
}

fn markdown(blocks: &[Block]) -> String {
    let line = |text: &str| text.replace('\n', " ");
    let mut out = String::new();
    for block in blocks {
        let _ = match block {
            Block::Title(text) => writeln!(out, "# {}\n", line(text)),
            Block::Heading(text) => writeln!(out, "## {}\n", line(text)),
            Block::Subheading(text) => writeln!(out, "### {}\n", line(text)),
            Block::Text(text) => writeln!(out, "{}\n", line(text)),
            Block::List(items) => {
                items.iter().for_each(|item| _ = writeln!(out, "- {}", line(item)));
                writeln!(out)
            }
        };
    }
    out
}

/// A printable page. Its style is a file of the client's, named by its whole address: the page
/// may be opened from a `blob:` address, and no inline style passes the content policy.
fn html(session: &Session, blocks: &[Block], base: &str) -> String {
    let escape = |text: &str| {
        text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
    };
    let language = if session.language == Language::English { "en" } else { "nb" };
    let mut out = format!(
        "<!doctype html>\n<html lang=\"{language}\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <link rel=\"stylesheet\" href=\"{}/assets/summary.css\"></head><body>\n",
        escape(&session.title),
        escape(base)
    );
    for block in blocks {
        let _ = match block {
            Block::Title(text) => writeln!(out, "<h1>{}</h1>", escape(text)),
            Block::Heading(text) => writeln!(out, "<h2>{}</h2>", escape(text)),
            Block::Subheading(text) => writeln!(out, "<h3>{}</h3>", escape(text)),
            Block::Text(text) => writeln!(out, "<p>{}</p>", escape(text)),
            Block::List(items) => {
                let items: String = items.iter().map(|item| format!("<li>{}</li>", escape(item))).collect();
                writeln!(out, "<ul>{items}</ul>")
            }
        };
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_lines_keep_rfc_5545() {
        assert_eq!(date(0), "19700101");
        assert_eq!(date(20_454), "20260101");
        assert_eq!(timestamp(1_798_761_600_000 + 3_723_000), "20270101T010203Z");
        let long = format!("DESCRIPTION:{}", "å".repeat(80));
        let folded = fold(&long);
        for line in folded.trim_end_matches("\r\n").split("\r\n") {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        }
        assert_eq!(folded.replace("\r\n ", ""), format!("{long}\r\n"));
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
