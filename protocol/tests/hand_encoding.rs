//! A `hand` encoded from borrowed parts is, byte for byte, the frame `ServerMsg` encodes.

use lapp_protocol::{CardId, CardText, Hand, Score, ServerMsg};
use proptest::prelude::*;

proptest! {
    #[test]
    fn borrowed_parts_encode_as_the_frame_does(
        round in any::<u32>(),
        card in proptest::option::of((any::<u32>(), any::<String>())),
        score in proptest::option::of(Score::MIN..=Score::MAX),
    ) {
        let score = score.map(|score| Score::new(score).expect("1..=5"));
        let borrowed = Hand::encode_from(round, card.as_ref().map(|(id, text)| (CardId(*id), text.as_str())), score);
        let card = card.map(|(id, text)| CardText { id: CardId(id), text });
        let owned = ServerMsg::Hand(Hand { round, card, score }).encode();
        prop_assert_eq!(borrowed, owned);
    }
}
