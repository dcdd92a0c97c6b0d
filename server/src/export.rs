//! A session's export as CSV: one row per card, for opening in a spreadsheet.

use lapp_protocol::SessionExport;

/// Spreadsheets run a cell that starts with one of these as a formula; such cells get a
/// leading apostrophe so a card's text stays text.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn cell(text: &str) -> String {
    if text.starts_with(FORMULA_STARTS) { format!("'{text}") } else { text.to_owned() }
}

/// Columns: activity, kind, prompt, item (a card, note, topic, action item or retro note),
/// author, text, hidden, total, count, scores, group. For a card, `scores` lists
/// `round:pid:score`; for a note, `total` is its stars at all levels, `count` the levels it was
/// starred at, `scores` lists `level:stars`, and `group` is where it was written (empty for a
/// note written alone). For a Lean Coffee topic, `total` is its dots, `count` its rank,
/// `scores` lists `pid:dots` (or `into:t…` for a topic merged into another) and `group` is its
/// table; for an action item, `author` is empty when a facilitator wrote it and `scores` holds
/// `owner:p… topic:t…`; for a retro note, `total` is its dots and `group` its column.
pub fn to_csv(export: &SessionExport) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        "activity", "kind", "prompt", "item", "author", "text", "hidden", "total", "count", "scores", "group",
    ])?;
    for activity in &export.activities {
        let kind = serde_json::to_value(activity.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        for card in &activity.cards {
            let scores: Vec<String> =
                card.scores.iter().map(|s| format!("{}:{}:{}", s.round, s.pid, s.score.get())).collect();
            writer.write_record([
                activity.index.to_string(),
                kind.clone(),
                cell(&activity.prompt),
                card.id.to_string(),
                card.author.to_string(),
                cell(&card.text),
                card.hidden.to_string(),
                card.total.to_string(),
                card.count.to_string(),
                scores.join(" "),
                String::new(),
            ])?;
        }
        for note in &activity.notes {
            let stars: Vec<String> = note
                .stars
                .iter()
                .enumerate()
                .map(|(level, stars)| format!("{}:{stars}", level + 1))
                .collect();
            writer.write_record([
                activity.index.to_string(),
                kind.clone(),
                cell(&activity.prompt),
                note.id.to_string(),
                note.author.to_string(),
                cell(&note.text),
                note.hidden.to_string(),
                note.stars.iter().sum::<u32>().to_string(),
                note.stars.iter().filter(|&&stars| stars > 0).count().to_string(),
                stars.join(" "),
                note.group.map(|group| group.to_string()).unwrap_or_default(),
            ])?;
        }
        for table in &activity.tables {
            for topic in &table.topics {
                // A merged topic points at the one it joined; its dots are counted there.
                let scores = match topic.merged_into {
                    Some(into) => format!("into:{into}"),
                    None => table
                        .dots
                        .iter()
                        .filter(|dots| dots.topic == topic.id)
                        .map(|dots| format!("{}:{}", dots.pid, dots.count))
                        .collect::<Vec<_>>()
                        .join(" "),
                };
                writer.write_record([
                    activity.index.to_string(),
                    kind.clone(),
                    cell(&activity.prompt),
                    topic.id.to_string(),
                    topic.author.to_string(),
                    cell(&topic.text),
                    topic.hidden.to_string(),
                    topic.dots.to_string(),
                    topic.rank.map(|rank| rank.to_string()).unwrap_or_default(),
                    scores,
                    cell(&table.table),
                ])?;
            }
            for item in &table.items {
                writer.write_record([
                    activity.index.to_string(),
                    kind.clone(),
                    cell(&activity.prompt),
                    item.id.to_string(),
                    item.author.map(|author| author.to_string()).unwrap_or_default(),
                    cell(&item.text),
                    item.hidden.to_string(),
                    String::new(),
                    String::new(),
                    item.owner
                        .map(|owner| format!("owner:{owner} topic:{}", item.topic))
                        .unwrap_or_else(|| format!("topic:{}", item.topic)),
                    cell(&table.table),
                ])?;
            }
        }
        for note in &activity.retro {
            writer.write_record([
                activity.index.to_string(),
                kind.clone(),
                cell(&activity.prompt),
                note.id.to_string(),
                note.author.to_string(),
                cell(&note.text),
                note.hidden.to_string(),
                note.dots.to_string(),
                String::new(),
                String::new(),
                cell(&note.label),
            ])?;
        }
    }
    let bytes = writer.into_inner().map_err(|err| csv::Error::from(err.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
