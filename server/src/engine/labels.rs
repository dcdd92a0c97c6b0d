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

/// (bokmål, English): kind words that read the same before every animal above.
const KIND: [(&str, &str); 16] = [
    ("Modig", "Brave"),
    ("Glad", "Happy"),
    ("Rolig", "Calm"),
    ("Klok", "Wise"),
    ("Rask", "Quick"),
    ("Snill", "Kind"),
    ("Stø", "Steady"),
    ("Lun", "Warm"),
    ("Kvikk", "Nimble"),
    ("Blid", "Cheerful"),
    ("Sterk", "Strong"),
    ("Stille", "Quiet"),
    ("Lys", "Bright"),
    ("Djerv", "Bold"),
    ("Myk", "Gentle"),
    ("Våken", "Alert"),
];

/// A friendly two-word name for a participant, from a random number ("Modig oter" / "Brave
/// otter"): what a session with generated names calls people, so nobody types a name.
pub fn person_name(draw: u32, language: Language) -> String {
    let kind = KIND[draw as usize % KIND.len()];
    let animal = ANIMALS[(draw as usize / KIND.len()) % ANIMALS.len()];
    match language {
        Language::Bokmal => format!("{} {}", kind.0, animal.0),
        Language::English => format!("{} {}", kind.1, animal.1),
    }
}

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
    fn generated_names_are_two_friendly_words_and_many() {
        assert_eq!(person_name(0, Language::Bokmal), "Modig rev");
        assert_eq!(person_name(17, Language::English), "Happy wolf");
        for language in [Language::Bokmal, Language::English] {
            let names: HashSet<String> =
                (0..KIND.len() * ANIMALS.len()).map(|draw| person_name(draw as u32, language)).collect();
            assert_eq!(names.len(), KIND.len() * ANIMALS.len(), "every draw a different name");
            assert!(names.iter().all(|name| name.split(' ').count() == 2));
        }
    }

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
