//! Group labels people can find each other by in a full hall: a colour, an animal and a
//! number ("Blå rev 12" / "Blue fox 12"), in the session's language.

use lapp_protocol::Language;

/// (bokmål, English). Only colours that read the same before every animal below.
const COLOURS: [(&str, &str); 10] = [
    ("Blå", "Blue"),
    ("Rød", "Red"),
    ("Grønn", "Green"),
    ("Gul", "Yellow"),
    ("Lilla", "Purple"),
    ("Oransje", "Orange"),
    ("Brun", "Brown"),
    ("Grå", "Grey"),
    ("Svart", "Black"),
    ("Hvit", "White"),
];

/// (bokmål, English). Masculine nouns only, so the colour never needs a neuter ending.
const ANIMALS: [(&str, &str); 12] = [
    ("rev", "fox"),
    ("ulv", "wolf"),
    ("bjørn", "bear"),
    ("elg", "moose"),
    ("hare", "hare"),
    ("oter", "otter"),
    ("sel", "seal"),
    ("hval", "whale"),
    ("laks", "salmon"),
    ("ørn", "eagle"),
    ("hjort", "deer"),
    ("måke", "gull"),
];

/// The label of the `index`-th group of a level (from 0). Its number is `index + 1`, so
/// labels are unique within a level; colour and animal vary so neighbours sound different.
pub fn label(index: u32, language: Language) -> String {
    let colour = COLOURS[index as usize % COLOURS.len()];
    let animal = ANIMALS[(index as usize / COLOURS.len() + index as usize) % ANIMALS.len()];
    let (colour, animal) = match language {
        Language::Bokmal => (colour.0, animal.0),
        Language::English => (colour.1, animal.1),
    };
    format!("{colour} {animal} {}", index + 1)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn labels_read_well_and_are_unique_within_a_level() {
        assert_eq!(label(0, Language::Bokmal), "Blå rev 1");
        assert_eq!(label(0, Language::English), "Blue fox 1");
        assert_eq!(label(1, Language::Bokmal), "Rød ulv 2");
        assert_eq!(label(11, Language::English), "Red fox 12");
        for language in [Language::Bokmal, Language::English] {
            let labels: HashSet<String> = (0..3_000).map(|index| label(index, language)).collect();
            assert_eq!(labels.len(), 3_000);
        }
    }
}
