//! The story-level train/validation split, by a fixed seed. Second stage of the text task.
//!
//! The rule: a story goes to validation when `fnv1a64(seed as 8 little-endian bytes ‖ story
//! bytes) mod 10_000 < round(validation_fraction · 10_000)`, and to training otherwise. The
//! decision depends only on the seed and the story's own text, so the split is stable (the
//! same for any order of the file, and the same on every machine), disjoint (each story goes
//! to exactly one side) and identical stories land on the same side.

/// The two sides of a split, each in corpus order.
#[derive(Clone, Debug, Default)]
pub struct StorySplit {
    /// Indices (into the corpus' stories) of the training stories.
    pub train: Vec<usize>,
    /// Indices of the validation stories.
    pub validation: Vec<usize>,
}

/// The default share of stories held out for validation.
pub const DEFAULT_VALIDATION_FRACTION: f64 = 0.1;

/// Whether the story goes to validation under `seed` and `validation_fraction` (in [0, 1]).
pub fn is_validation(story: &str, seed: u64, validation_fraction: f64) -> bool {
    let threshold = (validation_fraction.clamp(0.0, 1.0) * 10_000.0).round() as u64;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in seed.to_le_bytes().iter().chain(story.as_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h % 10_000 < threshold
}

/// Splits `stories` by `seed` (see the module doc for the rule).
pub fn split_stories<S: AsRef<str>>(
    stories: &[S],
    seed: u64,
    validation_fraction: f64,
) -> StorySplit {
    let mut split = StorySplit::default();
    for (i, s) in stories.iter().enumerate() {
        if is_validation(s.as_ref(), seed, validation_fraction) {
            split.validation.push(i);
        } else {
            split.train.push(i);
        }
    }
    split
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_disjoint_complete_and_order_free() {
        let stories: Vec<String> = (0..500).map(|i| format!("story {i}\n")).collect();
        let s = split_stories(&stories, 7, 0.2);
        assert_eq!(s.train.len() + s.validation.len(), 500);
        assert!(s.validation.iter().all(|i| !s.train.contains(i)));
        assert!((60..140).contains(&s.validation.len()));
        let mut rev = stories.clone();
        rev.reverse();
        let r = split_stories(&rev, 7, 0.2);
        let mut a: Vec<&String> = s.validation.iter().map(|&i| &stories[i]).collect();
        let mut b: Vec<&String> = r.validation.iter().map(|&i| &rev[i]).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        assert_ne!(split_stories(&stories, 8, 0.2).validation, s.validation);
    }

    #[test]
    fn fractions_zero_and_one() {
        let stories = ["a", "b", "c"];
        assert!(split_stories(&stories, 0, 0.0).validation.is_empty());
        assert!(split_stories(&stories, 0, 1.0).train.is_empty());
    }
}
