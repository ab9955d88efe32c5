//! "Did you mean" for misspelt keys and values.

/// The closest candidates to `input` that are close enough to be a typo,
/// every one at the smallest distance (`selectn` is one step from both
/// `select` and `selectin`), in the order given.
pub fn closest<'a>(input: &str, candidates: &[&'a str]) -> Vec<&'a str> {
    let near: Vec<(usize, &str)> = candidates
        .iter()
        .map(|c| (edit_distance(input, c), *c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(1))
        .collect();
    let best = near.iter().map(|(d, _)| *d).min();
    near.into_iter()
        .filter(|(d, _)| Some(*d) == best)
        .map(|(_, c)| c)
        .collect()
}

/// The message tail listing the valid choices, with a suggestion when one is near.
pub fn valid_choices(input: &str, candidates: &[&str]) -> String {
    let list = candidates
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let near: Vec<String> = closest(input, candidates)
        .iter()
        .map(|c| format!("`{c}`"))
        .collect();
    if near.is_empty() {
        format!("expected one of {list}")
    } else {
        format!("did you mean {}? expected one of {list}", near.join(" or "))
    }
}

/// Optimal string alignment distance: insertions, deletions, substitutions
/// and swaps of two neighbours (`tabel` is one step from `table`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_misses_only() {
        assert_eq!(
            closest("primay_key", &["primary_key", "column"]),
            vec!["primary_key"]
        );
        assert_eq!(closest("tabel", &["table", "crate"]), vec!["table"]);
        assert_eq!(
            closest("colour", &["primary_key", "column"]),
            Vec::<&str>::new()
        );
        assert_eq!(
            closest("selectni", &["select", "selectin"]),
            vec!["selectin"]
        );
        assert_eq!(closest("eager", &["select", "joined"]), Vec::<&str>::new());
        assert_eq!(
            closest("selectn", &["select", "joined", "selectin"]),
            vec!["select", "selectin"]
        );
    }
}
