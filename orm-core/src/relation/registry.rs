//! A process-wide numbering of relations, so that a relation field names
//! its relation in two bytes instead of an eight-byte pointer: with the
//! per-query override, the load bits and the owning session, that makes
//! the state beside each relation value one word (a `One` and a `Many`
//! are 16 bytes each), which on 100 000 loaded rows with two relations each is
//! 1.6 MB less.
//!
//! The derive gives every relation field of a decoded object a static
//! [`RelationIndex`]; its first use registers the relation's metadata here,
//! once per relation and process, and later uses read the number with one
//! load. The table holds up to 65 535 relations, in segments allocated as
//! they fill and kept for the life of the process (2 KiB per 256
//! relations); a relation registered past that reads as a field built by
//! hand: its errors name the target type instead of the relation, and its
//! strategy is `select`.

use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU16, Ordering};
use std::sync::Mutex;

use crate::schema::RelationMeta;

const SEGMENT: usize = 256;

type Segment = [AtomicPtr<RelationMeta>; SEGMENT];

/// Segment `n` holds relations `n * 256 ..`; number 0 means "none".
static SEGMENTS: [AtomicPtr<Segment>; SEGMENT] =
    [const { AtomicPtr::new(ptr::null_mut()) }; SEGMENT];

/// The last number given out; held while registering.
static LAST: Mutex<u16> = Mutex::new(0);

/// The number of one relation, kept in a static the derive writes beside
/// the field's initializer.
#[doc(hidden)]
pub struct RelationIndex(AtomicU16);

impl RelationIndex {
    /// Not registered yet.
    pub const fn new() -> Self {
        RelationIndex(AtomicU16::new(0))
    }

    /// The relation's number, registering `meta` on first use (0 when the
    /// table is full).
    #[inline]
    pub(crate) fn of(&self, meta: &'static RelationMeta) -> u16 {
        match self.0.load(Ordering::Acquire) {
            0 => self.register(meta),
            number => number,
        }
    }

    #[cold]
    fn register(&self, meta: &'static RelationMeta) -> u16 {
        let mut last = LAST.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let number = self.0.load(Ordering::Acquire);
        if number != 0 {
            return number;
        }
        let Some(number) = last.checked_add(1) else {
            return 0;
        };
        let segment = &SEGMENTS[usize::from(number) / SEGMENT];
        let mut entries = segment.load(Ordering::Acquire);
        if entries.is_null() {
            let fresh: Box<Segment> =
                Box::new([const { AtomicPtr::new(ptr::null_mut()) }; SEGMENT]);
            entries = Box::into_raw(fresh);
            segment.store(entries, Ordering::Release);
        }
        // SAFETY: segments are never freed; this one was just found or made.
        let entries = unsafe { &*entries };
        entries[usize::from(number) % SEGMENT]
            .store(ptr::from_ref(meta).cast_mut(), Ordering::Release);
        *last = number;
        self.0.store(number, Ordering::Release);
        number
    }
}

impl Default for RelationIndex {
    fn default() -> Self {
        RelationIndex::new()
    }
}

/// The metadata of relation `number` (`None` for 0).
#[inline]
pub(crate) fn meta_of(number: u16) -> Option<&'static RelationMeta> {
    if number == 0 {
        return None;
    }
    let entries = SEGMENTS[usize::from(number) / SEGMENT].load(Ordering::Acquire);
    if entries.is_null() {
        return None;
    }
    // SAFETY: segments are never freed, and every entry written holds a
    // `&'static RelationMeta` (null ones are not read as such).
    let meta = unsafe { &*entries }[usize::from(number) % SEGMENT].load(Ordering::Acquire);
    // SAFETY: as above.
    unsafe { meta.as_ref() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relation::One;
    use orm_derive::Entity;

    #[derive(Entity)]
    #[orm(crate = "crate", table = "registry_authors")]
    pub struct Author {
        #[orm(primary_key)]
        pub id: i64,
    }

    #[derive(Entity)]
    #[orm(crate = "crate", table = "registry_books")]
    pub struct Book {
        #[orm(primary_key)]
        pub id: i64,
        pub author_id: i64,
        #[relationship(foreign_key = "author_id")]
        pub author: One<Author>,
    }

    #[test]
    fn a_number_is_given_once_and_names_its_relation() {
        static INDEX: RelationIndex = RelationIndex::new();
        let meta = Book::AUTHOR.meta();
        let number = INDEX.of(meta);
        assert_ne!(number, 0);
        assert_eq!(INDEX.of(meta), number);
        let found = meta_of(number).map(|m| (m.owner, m.name));
        assert_eq!(found, Some(("Book", "author")));
        assert!(meta_of(0).is_none());
    }

    #[test]
    fn numbers_from_many_threads_are_distinct() {
        static INDICES: [RelationIndex; 600] = [const { RelationIndex::new() }; 600];
        let meta = Book::AUTHOR.meta();
        let numbers: Vec<u16> = std::thread::scope(|scope| {
            let halves: Vec<_> = INDICES
                .chunks(300)
                .map(|part| {
                    scope.spawn(move || part.iter().map(|i| i.of(meta)).collect::<Vec<_>>())
                })
                .collect();
            halves.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        let mut sorted = numbers.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 600, "every index its own number");
        assert!(numbers
            .iter()
            .all(|&n| meta_of(n).is_some_and(|m| m.name == "author")));
    }
}
