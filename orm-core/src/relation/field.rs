//! The field types of relationships and their load state.

use std::any::Any;
use std::cell::{Cell, RefCell, UnsafeCell};
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};

use crate::{Handle, List};

use super::registry::{meta_of, RelationIndex};
use crate::schema::{Record, RelationMeta, Strategy};
use crate::Error;

/// Per-object strategy override, written by per-query options before the
/// relation is loaded. `0` means "the mapping's default".
#[derive(Default)]
pub(crate) struct ModeCell(AtomicU8);

impl ModeCell {
    pub(crate) fn get(&self) -> Option<Strategy> {
        Strategy::from_code(self.0.load(Ordering::Relaxed))
    }
    pub(crate) fn set(&self, strategy: Strategy) {
        self.0.store(strategy.code(), Ordering::Relaxed);
    }
    fn copy(&self) -> ModeCell {
        ModeCell(AtomicU8::new(self.0.load(Ordering::Relaxed)))
    }
}

/// The explicit state of a relation on one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadState {
    /// Not loaded yet; loading needs the session.
    Unloaded,
    /// Loaded; reading needs no session and sends no SQL.
    Loaded,
    /// Access is refused (`raise`): reading is an error naming the relation.
    Refused,
    /// Never loaded (`noload`): the relation reads as empty.
    Empty,
}

/// What every relation field holds besides its value, in one word: which
/// relation it is (its number in the [registry](super::registry), so errors
/// can name it and `raise`/`noload` mappings apply without a session), the
/// per-query override, the lock and load bits of the value beside it, and
/// the session the object belongs to (0: none).
#[derive(Default)]
pub(crate) struct Slot {
    /// The relation's number; 0 for a field built by hand.
    relation: u16,
    mode: ModeCell,
    /// [`LOCKED`] and [`LOADED`] bits of the [`LoadedCell`] that holds
    /// this slot.
    state: AtomicU8,
    owner: AtomicU32,
}

/// The bit of [`Slot::state`] held while the value is read or written.
const LOCKED: u8 = 1;
/// The bit of [`Slot::state`] set while the relation holds a loaded value.
const LOADED: u8 = 2;
/// With [`LOADED`]: the value is part of the relation (a per-parent limit
/// loaded it), which a load of the whole relation replaces.
const PARTIAL: u8 = 4;

impl Slot {
    fn new(relation: u16) -> Self {
        Slot {
            relation,
            ..Slot::default()
        }
    }

    fn meta(&self) -> Option<&'static RelationMeta> {
        meta_of(self.relation)
    }

    /// The same relation, override and owner; unlocked and not loaded.
    fn copy(&self) -> Self {
        Slot {
            relation: self.relation,
            mode: self.mode.copy(),
            state: AtomicU8::new(0),
            owner: AtomicU32::new(self.owner.load(Ordering::Relaxed)),
        }
    }

    /// The strategy in force: the per-query override, else the mapping's.
    fn strategy(&self) -> Strategy {
        self.mode
            .get()
            .or(self.meta().map(|m| m.lazy))
            .unwrap_or(Strategy::Select)
    }

    fn state(&self, loaded: bool) -> LoadState {
        if loaded {
            return LoadState::Loaded;
        }
        match self.strategy() {
            Strategy::Raise => LoadState::Refused,
            Strategy::Noload => LoadState::Empty,
            _ => LoadState::Unloaded,
        }
    }

    fn unreadable(&self, state: LoadState, target: &'static str) -> Error {
        let (entity, relation) = self.meta().map_or(("?", target), |m| (m.owner, m.name));
        match state {
            LoadState::Refused => Error::RelationRefused { entity, relation },
            _ => Error::NotLoaded { entity, relation },
        }
    }
}

/// How a loaded value is stored: in one word or two, its "not loaded" state
/// told by the [`LOADED`] bit rather than by a wider `Option`.
trait Packed: Clone {
    /// The stored form; [`Packed::empty`] when not loaded.
    type Raw;
    fn empty() -> Self::Raw;
    fn pack(self) -> Self::Raw;
    /// The value of a loaded raw form.
    fn unpack(raw: Self::Raw) -> Self;
    /// A copy of the value of a loaded raw form.
    fn peek(raw: &Self::Raw) -> Self;
}

/// A to-one's value: the target or its absence (`None` also when unloaded).
impl<T> Packed for Option<Handle<T>> {
    type Raw = Option<Handle<T>>;
    fn empty() -> Self::Raw {
        None
    }
    fn pack(self) -> Self::Raw {
        self
    }
    fn unpack(raw: Self::Raw) -> Self {
        raw
    }
    fn peek(raw: &Self::Raw) -> Self {
        raw.clone()
    }
}

/// A collection's value: the shared list (`None` only when unloaded).
impl<T> Packed for List<T> {
    type Raw = Option<List<T>>;
    fn empty() -> Self::Raw {
        None
    }
    fn pack(self) -> Self::Raw {
        Some(self)
    }
    fn unpack(raw: Self::Raw) -> Self {
        raw.unwrap_or_default()
    }
    fn peek(raw: &Self::Raw) -> Self {
        raw.clone().unwrap_or_default()
    }
}

/// A relation's loaded value and its [`Slot`]. Readers get a shared
/// snapshot (a `Handle` or a `List`), so the session can expire or fix a relation after a
/// write while a reader still holds what it read.
///
/// It is a `Mutex<Option<V>>` in the space of a `V`: the lock and the
/// "loaded" flag are two bits of the slot's state byte. A
/// `Mutex<Option<Option<Handle<T>>>>` beside a slot that held the metadata
/// pointer made a `One` 40 bytes and a `Many` 40; this makes them 16 each. Critical
/// sections only move or clone a pointer (nothing is dropped and no caller
/// code runs while the lock is held, except the short tests of `holds`-like
/// fix-ups), so a contended lock spins briefly, then yields.
struct LoadedCell<V: Packed> {
    value: UnsafeCell<V::Raw>,
    slot: Slot,
}

// SAFETY: `value` is only reached while holding the slot's LOCKED bit (see
// `lock`) or through `&mut self`, exactly as a `Mutex<V::Raw>` guards its
// value, so sharing the cell across threads needs what sharing a mutex
// needs: a value that may be sent to another thread.
unsafe impl<V: Packed> Sync for LoadedCell<V> where V::Raw: Send {}

/// The lock of a [`LoadedCell`]; unlocking publishes whether it is loaded.
struct Guard<'a, V: Packed> {
    cell: &'a LoadedCell<V>,
    loaded: bool,
    partial: bool,
}

impl<V: Packed> Guard<'_, V> {
    fn raw(&self) -> &V::Raw {
        // SAFETY: the guard holds the lock, so nothing else reaches the value.
        unsafe { &*self.cell.value.get() }
    }

    fn raw_mut(&mut self) -> &mut V::Raw {
        // SAFETY: as in `raw`, and `&mut self` makes this the only borrow.
        unsafe { &mut *self.cell.value.get() }
    }

    fn get(&self) -> Option<V> {
        self.loaded.then(|| V::peek(self.raw()))
    }

    /// Makes the relation unloaded; answers what it held, for the caller to
    /// drop once unlocked.
    fn take(&mut self) -> Option<V> {
        if !self.loaded {
            return None;
        }
        self.loaded = false;
        self.partial = false;
        Some(V::unpack(std::mem::replace(self.raw_mut(), V::empty())))
    }

    /// Stores `value`; answers what it replaced, for the caller to drop
    /// once unlocked.
    fn put(&mut self, value: V) -> Option<V> {
        let old = self.take();
        *self.raw_mut() = value.pack();
        self.loaded = true;
        old
    }
}

impl<V: Packed> Drop for Guard<'_, V> {
    fn drop(&mut self) {
        // Only the holder of the lock writes the state byte.
        let state = match (self.loaded, self.partial) {
            (false, _) => 0,
            (true, false) => LOADED,
            (true, true) => LOADED | PARTIAL,
        };
        self.cell.slot.state.store(state, Ordering::Release);
    }
}

impl<V: Packed> LoadedCell<V> {
    fn new(slot: Slot) -> Self {
        LoadedCell {
            value: UnsafeCell::new(V::empty()),
            slot,
        }
    }

    /// A cell holding `value` (`None`: not loaded).
    fn holding(slot: Slot, value: Option<V>) -> Self {
        let loaded = value.is_some();
        slot.state
            .store(if loaded { LOADED } else { 0 }, Ordering::Relaxed);
        LoadedCell {
            value: UnsafeCell::new(value.map_or_else(V::empty, V::pack)),
            slot,
        }
    }

    fn lock(&self) -> Guard<'_, V> {
        let state = &self.slot.state;
        let mut spins = 0u32;
        loop {
            let current = state.load(Ordering::Relaxed);
            if current & LOCKED == 0 {
                if state
                    .compare_exchange_weak(
                        current,
                        current | LOCKED,
                        Ordering::Acquire,
                        Ordering::Relaxed,
                    )
                    .is_ok()
                {
                    return Guard {
                        cell: self,
                        loaded: current & LOADED != 0,
                        partial: current & PARTIAL != 0,
                    };
                }
                continue;
            }
            if spins < 64 {
                spins += 1;
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }

    fn get(&self) -> Option<V> {
        if !self.is_set() {
            return None;
        }
        self.lock().get()
    }

    fn is_set(&self) -> bool {
        self.slot.state.load(Ordering::Acquire) & LOADED != 0
    }

    /// Whether it holds the whole relation (loaded, not partial).
    fn is_whole(&self) -> bool {
        self.slot.state.load(Ordering::Acquire) & (LOADED | PARTIAL) == LOADED
    }

    /// Stores `value` unless the whole relation is there (a partial value
    /// is replaced); true when stored. `partial` marks what it stores.
    fn set_unless_whole(&self, value: V, partial: bool) -> bool {
        let mut guard = self.lock();
        if guard.loaded && !guard.partial {
            drop(guard);
            drop(value);
            return false;
        }
        let old = guard.put(value);
        guard.partial = partial;
        drop(guard);
        drop(old);
        true
    }

    /// Stores `value` unless a value is there; true when stored.
    fn set_if_empty(&self, value: V) -> bool {
        self.set_unless_whole(value, false)
    }

    fn clear(&self) -> Option<V> {
        if !self.is_set() {
            return None;
        }
        self.lock().take()
    }

    fn take_owned(&mut self) -> Option<V> {
        let state = self.slot.state.get_mut();
        if *state & LOADED == 0 {
            return None;
        }
        *state = 0;
        Some(V::unpack(std::mem::replace(
            self.value.get_mut(),
            V::empty(),
        )))
    }
}

/// A to-one relationship: many-to-one (the foreign key is on this struct) or
/// one-to-one (the foreign key is on the target). Absent when the key is
/// NULL or no target row exists.
pub struct One<T: 'static> {
    loaded: LoadedCell<Option<Handle<T>>>,
}

/// A to-many relationship: one-to-many or many-to-many.
pub struct Many<T: 'static> {
    loaded: LoadedCell<List<T>>,
}

/// Constructors and state shared by the loadable field types.
macro_rules! loadable_field {
    ($($ty:ident),*) => {$(
        impl<T: 'static> $ty<T> {
            /// An unloaded relation, as every freshly read object has.
            pub fn new() -> Self {
                $ty {
                    loaded: LoadedCell::new(Slot::default()),
                }
            }

            /// Used by the derive: an unloaded field that knows its
            /// relation, numbered through the static `index` beside the
            /// derive's initializer.
            #[doc(hidden)]
            pub fn for_relation(index: &'static RelationIndex, meta: &'static RelationMeta) -> Self {
                $ty {
                    loaded: LoadedCell::new(Slot::new(index.of(meta))),
                }
            }

            /// The load state.
            pub fn state(&self) -> LoadState {
                self.loaded.slot.state(self.loaded.is_set())
            }

            /// Whether the relation is loaded.
            pub fn is_loaded(&self) -> bool {
                self.loaded.is_set()
            }

            /// Whether what is loaded is only part of the relation: a
            /// per-parent limit loaded it. It reads as loaded; a query that
            /// loads the whole relation replaces it.
            pub fn is_partial(&self) -> bool {
                self.loaded.is_set() && !self.loaded.is_whole()
            }
        }
    )*};
}
loadable_field!(One, Many);

/// A `dynamic` relationship: never loaded, it is a query to filter, order,
/// count and page (`session.dynamic(Parent::RELATION, &parent)`).
pub struct Dynamic<T> {
    _target: PhantomData<fn() -> T>,
}

impl<T: 'static> One<T> {
    /// A relation already holding `target`, for objects built by hand.
    pub fn loaded(target: Option<Handle<T>>) -> Self {
        let one = One::new();
        one.set(target);
        one
    }

    /// The target if loaded, without a session: `Ok(None)` when the target is
    /// absent or the relation is `noload`; an error when it is not loaded or
    /// refused. The handle returned stays valid whatever the session does
    /// to the relation afterwards.
    pub fn get(&self) -> crate::Result<Option<Handle<T>>>
    where
        T: Record,
    {
        match self.loaded.get() {
            Some(target) => Ok(target),
            None => match self.state() {
                LoadState::Empty => Ok(None),
                state => Err(self.loaded.slot.unreadable(state, T::META.name)),
            },
        }
    }

    pub(crate) fn set(&self, target: Option<Handle<T>>) -> bool {
        self.loaded.set_if_empty(target)
    }
}

impl<T: 'static> Many<T> {
    /// A relation already holding `targets`, for objects built by hand.
    pub fn loaded(targets: Vec<Handle<T>>) -> Self {
        let many = Many::new();
        many.set(targets);
        many
    }

    /// The targets if loaded, without a session: empty for `noload`; an
    /// error when not loaded or refused. The list returned is a shared
    /// snapshot: it stays as it was read whatever the session does to the
    /// relation afterwards.
    pub fn get(&self) -> crate::Result<List<T>>
    where
        T: Record,
    {
        match self.loaded.get() {
            Some(targets) => Ok(targets),
            None => match self.state() {
                LoadState::Empty => Ok(List::new()),
                state => Err(self.loaded.slot.unreadable(state, T::META.name)),
            },
        }
    }

    pub(crate) fn set(&self, targets: Vec<Handle<T>>) -> bool {
        self.loaded.set_if_empty(List::from(targets))
    }
}

impl<T> Dynamic<T> {
    /// The (stateless) dynamic relation.
    pub fn new() -> Self {
        Dynamic {
            _target: PhantomData,
        }
    }
}

macro_rules! common_impls {
    ($($ty:ident),*) => {$(
        impl<T: 'static> Default for $ty<T> {
            fn default() -> Self {
                $ty::new()
            }
        }
    )*};
}
common_impls!(One, Many, Dynamic);

impl<T: 'static> Clone for One<T> {
    fn clone(&self) -> Self {
        One {
            loaded: LoadedCell::holding(self.loaded.slot.copy(), self.loaded.get()),
        }
    }
}

impl<T: 'static> Clone for Many<T> {
    fn clone(&self) -> Self {
        let partial = self.is_partial();
        let loaded = LoadedCell::holding(self.loaded.slot.copy(), self.loaded.get());
        if partial {
            loaded.slot.state.fetch_or(PARTIAL, Ordering::Relaxed);
        }
        Many { loaded }
    }
}

impl<T> Clone for Dynamic<T> {
    fn clone(&self) -> Self {
        Dynamic::new()
    }
}

// A loaded graph can be a chain thousands of objects deep (a self-referential
// tree); dropping it field by field would recurse once per link. Past a
// depth, what a relation held is queued and dropped iteratively instead.
impl<T: 'static> Drop for One<T> {
    fn drop(&mut self) {
        // Only the last handle drops the target itself; the others (most of
        // them when many objects share a target) only give up a count and
        // need no depth bookkeeping.
        if let Some(Some(target)) = self.loaded.take_owned() {
            if let Some(target) = Handle::into_inner(target) {
                drop_flat(target);
            }
        }
    }
}

impl<T: 'static> Drop for Many<T> {
    fn drop(&mut self) {
        if let Some(targets) = self.loaded.take_owned() {
            if !targets.is_empty() {
                drop_flat(targets);
            }
        }
    }
}

/// Relation drops nested deeper than this are queued, not recursed into.
const MAX_DROP_DEPTH: usize = 64;

thread_local! {
    static DROP_DEPTH: Cell<usize> = const { Cell::new(0) };
    static DEFERRED_DROPS: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
}

/// Drops `value` with bounded recursion: nested relation drops beyond
/// [`MAX_DROP_DEPTH`] are queued and drained by the outermost one.
fn drop_flat<V: 'static>(value: V) {
    let Ok(depth) = DROP_DEPTH.try_with(Cell::get) else {
        return drop(value); // the thread is ending: no bookkeeping left
    };
    if depth >= MAX_DROP_DEPTH {
        let mut value = Some(value);
        let _ = DEFERRED_DROPS.try_with(|queue| {
            if let Some(value) = value.take() {
                queue.borrow_mut().push(Box::new(value));
            }
        });
        return drop(value);
    }
    DROP_DEPTH.with(|d| d.set(depth + 1));
    drop(value);
    if depth == 0 {
        while let Some(next) = DEFERRED_DROPS.with(|queue| queue.borrow_mut().pop()) {
            drop(next);
        }
    }
    DROP_DEPTH.with(|d| d.set(depth));
}

// Debug shows keys, not objects: a loaded graph is usually cyclic
// (author -> books -> author), and printing it whole would never end.
impl<T: Record> fmt::Debug for One<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.loaded.get() {
            Some(Some(target)) => write!(f, "One({:?})", target.key()),
            Some(None) => f.write_str("One(None)"),
            None => write!(f, "One({:?})", self.state()),
        }
    }
}

impl<T: Record> fmt::Debug for Many<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.loaded.get() {
            Some(targets) => f
                .debug_tuple("Many")
                .field(&targets.iter().map(|t| t.key()).collect::<Vec<_>>())
                .finish(),
            None => write!(f, "Many({:?})", self.state()),
        }
    }
}

impl<T> fmt::Debug for Dynamic<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Dynamic")
    }
}

/// Filling a relation field is the loaders' alone: the trait lives in a
/// private module and every method takes a [`sealed::Token`] that only this
/// crate can make, so code outside can neither implement nor call it (not
/// even through a `RelationField` bound), and a loaded state cannot be
/// forged.
pub(crate) mod sealed {
    use crate::schema::Strategy;
    use crate::Handle;

    /// Proof that the caller is this crate.
    pub struct Token(pub(crate) ());

    pub trait Fill<T> {
        /// Stores loaded targets (a to-one keeps the first); false if
        /// already set.
        fn store(&self, token: Token, targets: Vec<Handle<T>>) -> bool;
        /// Stores a to-one result without building a list; false if
        /// already set.
        fn store_one(&self, token: Token, target: Option<Handle<T>>) -> bool {
            self.store(token, target.into_iter().collect())
        }
        /// Stores part of the relation (a per-parent limit), replacing
        /// another part but not the whole; false if the whole is there.
        fn store_partial(&self, token: Token, targets: Vec<Handle<T>>) -> bool {
            self.store(token, targets)
        }
        /// Whether the whole relation is loaded (not only part of it).
        fn is_whole(&self, token: Token) -> bool;
        /// Sets the per-query strategy override.
        fn set_mode(&self, token: Token, strategy: Strategy);
        /// Makes the relation unloaded again (expired after a write); what
        /// readers already took stays theirs.
        fn clear(&self, token: Token);
        /// Whether the relation is loaded with a target for which `test`
        /// holds.
        fn holds(&self, token: Token, test: &mut dyn FnMut(&T) -> bool) -> bool;
        /// Hands each target of a loaded relation to `each` (nothing when
        /// unloaded), for options that go on below it.
        fn each_target(&self, token: Token, each: &mut dyn FnMut(&Handle<T>));
        /// In a loaded relation, puts `with` in place of each target for
        /// which `test` holds; `None` takes them out (a `One` becomes
        /// unloaded).
        fn replace(&self, token: Token, test: &mut dyn FnMut(&T) -> bool, with: Option<Handle<T>>);
        /// Adds `target` to a loaded collection (a loaded `One` becomes
        /// unloaded: which row it holds now is the database's answer).
        fn append(&self, token: Token, target: Handle<T>);
        /// Reports each target held, by address, and whether the list
        /// holding it is shared with a reader (for the cycle collector).
        fn visit(&self, token: Token, edge: &mut dyn FnMut(usize, bool));
        /// The session the object belongs to (0: none); `None` for a field
        /// that keeps no state (`Dynamic`).
        fn owner(&self, token: Token) -> Option<u32>;
        /// Marks the object as belonging to session `owner` (0: none).
        fn set_owner(&self, token: Token, owner: u32);
    }
}

pub(crate) use sealed::Fill;

/// The token the loaders fill relations with.
pub(crate) const FILL: sealed::Token = sealed::Token(());

/// What reading a relation field gives and its load state; implemented by
/// [`One`] and [`Many`] (and trivially by [`Dynamic`]). Sealed: only the
/// loaders fill a relation.
pub trait RelationField<T>: sealed::Fill<T> + Send + Sync + 'static {
    /// What reading a loaded relation gives: `Option<Handle<T>>` for a `One`,
    /// a shared list `List<T>` for a `Many`; it crosses threads, as
    /// the async session's answers do.
    type Loaded: Send + 'static;
    /// Whether loaded.
    fn is_loaded(&self) -> bool;
    /// Reads the loaded value.
    fn read(&self) -> crate::Result<Self::Loaded>
    where
        T: Record;
    /// The per-query strategy override of this object, if any; otherwise
    /// the mapping's strategy applies.
    fn mode(&self) -> Option<Strategy>;
}

impl<T: Send + Sync + 'static> Fill<T> for One<T> {
    fn store(&self, _: sealed::Token, targets: Vec<Handle<T>>) -> bool {
        self.set(targets.into_iter().next())
    }
    fn store_one(&self, _: sealed::Token, target: Option<Handle<T>>) -> bool {
        self.set(target)
    }
    fn is_whole(&self, _: sealed::Token) -> bool {
        self.loaded.is_whole()
    }
    fn set_mode(&self, _: sealed::Token, strategy: Strategy) {
        self.loaded.slot.mode.set(strategy)
    }
    fn clear(&self, _: sealed::Token) {
        drop(self.loaded.clear());
    }
    fn holds(&self, _: sealed::Token, test: &mut dyn FnMut(&T) -> bool) -> bool {
        matches!(self.loaded.get(), Some(Some(target)) if test(&target))
    }
    fn each_target(&self, _: sealed::Token, each: &mut dyn FnMut(&Handle<T>)) {
        if let Some(Some(target)) = self.loaded.get() {
            each(&target);
        }
    }
    fn replace(&self, _: sealed::Token, test: &mut dyn FnMut(&T) -> bool, with: Option<Handle<T>>) {
        let mut guard = self.loaded.lock();
        let hit = guard.loaded && matches!(guard.raw(), Some(target) if test(target));
        let old = match (hit, with) {
            (false, _) => None,
            (true, Some(with)) => guard.put(Some(with)),
            (true, None) => guard.take(),
        };
        drop(guard);
        drop(old);
    }
    fn append(&self, _: sealed::Token, _target: Handle<T>) {
        drop(self.loaded.clear());
    }
    fn visit(&self, _: sealed::Token, edge: &mut dyn FnMut(usize, bool)) {
        let guard = self.loaded.lock();
        if let (true, Some(target)) = (guard.loaded, guard.raw()) {
            edge(Handle::as_ptr(target) as usize, false);
        }
    }
    fn owner(&self, _: sealed::Token) -> Option<u32> {
        Some(self.loaded.slot.owner.load(Ordering::Relaxed))
    }
    fn set_owner(&self, _: sealed::Token, owner: u32) {
        self.loaded.slot.owner.store(owner, Ordering::Relaxed)
    }
}

impl<T: Send + Sync + 'static> RelationField<T> for One<T> {
    type Loaded = Option<Handle<T>>;
    fn is_loaded(&self) -> bool {
        One::is_loaded(self)
    }
    fn read(&self) -> crate::Result<Option<Handle<T>>>
    where
        T: Record,
    {
        self.get()
    }
    fn mode(&self) -> Option<Strategy> {
        self.loaded.slot.mode.get()
    }
}

impl<T: Send + Sync + 'static> Fill<T> for Many<T> {
    fn store(&self, _: sealed::Token, targets: Vec<Handle<T>>) -> bool {
        self.set(targets)
    }
    fn store_partial(&self, _: sealed::Token, targets: Vec<Handle<T>>) -> bool {
        self.loaded.set_unless_whole(List::from(targets), true)
    }
    fn is_whole(&self, _: sealed::Token) -> bool {
        self.loaded.is_whole()
    }
    fn set_mode(&self, _: sealed::Token, strategy: Strategy) {
        self.loaded.slot.mode.set(strategy)
    }
    fn clear(&self, _: sealed::Token) {
        drop(self.loaded.clear());
    }
    fn holds(&self, _: sealed::Token, test: &mut dyn FnMut(&T) -> bool) -> bool {
        self.loaded
            .get()
            .is_some_and(|targets| targets.iter().any(|t| test(t)))
    }
    fn each_target(&self, _: sealed::Token, each: &mut dyn FnMut(&Handle<T>)) {
        if let Some(targets) = self.loaded.get() {
            targets.iter().for_each(each);
        }
    }
    fn replace(&self, _: sealed::Token, test: &mut dyn FnMut(&T) -> bool, with: Option<Handle<T>>) {
        let mut guard = self.loaded.lock();
        let mut old = None;
        if guard.partial {
            // Which rows a per-parent limit keeps is the database's answer.
            old = guard.take();
        } else if let Some(targets) = guard.raw() {
            let patched: Vec<Handle<T>> = targets
                .iter()
                .filter_map(|t| {
                    if test(t) {
                        with.clone()
                    } else {
                        Some(Handle::clone(t))
                    }
                })
                .collect();
            old = guard.put(List::from(patched));
        }
        drop(guard);
        drop(old);
    }
    fn append(&self, _: sealed::Token, target: Handle<T>) {
        let mut guard = self.loaded.lock();
        let mut old = None;
        if guard.partial {
            old = guard.take();
        } else if let Some(targets) = guard.raw() {
            let mut grown = targets.to_vec();
            grown.push(target);
            old = guard.put(List::from(grown));
        }
        drop(guard);
        drop(old);
    }
    fn visit(&self, _: sealed::Token, edge: &mut dyn FnMut(usize, bool)) {
        let guard = self.loaded.lock();
        if let Some(targets) = guard.raw() {
            let shared = List::strong_count(targets) > 1;
            for target in targets.iter() {
                edge(Handle::as_ptr(target) as usize, shared);
            }
        }
    }
    fn owner(&self, _: sealed::Token) -> Option<u32> {
        Some(self.loaded.slot.owner.load(Ordering::Relaxed))
    }
    fn set_owner(&self, _: sealed::Token, owner: u32) {
        self.loaded.slot.owner.store(owner, Ordering::Relaxed)
    }
}

impl<T: Send + Sync + 'static> RelationField<T> for Many<T> {
    type Loaded = List<T>;
    fn is_loaded(&self) -> bool {
        Many::is_loaded(self)
    }
    fn read(&self) -> crate::Result<List<T>>
    where
        T: Record,
    {
        self.get()
    }
    fn mode(&self) -> Option<Strategy> {
        self.loaded.slot.mode.get()
    }
}

impl<T: Send + Sync + 'static> Fill<T> for Dynamic<T> {
    fn store(&self, _: sealed::Token, _targets: Vec<Handle<T>>) -> bool {
        false
    }
    fn is_whole(&self, _: sealed::Token) -> bool {
        false
    }
    fn set_mode(&self, _: sealed::Token, _strategy: Strategy) {}
    fn clear(&self, _: sealed::Token) {}
    fn each_target(&self, _: sealed::Token, _each: &mut dyn FnMut(&Handle<T>)) {}
    fn holds(&self, _: sealed::Token, _test: &mut dyn FnMut(&T) -> bool) -> bool {
        false
    }
    fn replace(&self, _: sealed::Token, _: &mut dyn FnMut(&T) -> bool, _: Option<Handle<T>>) {}
    fn append(&self, _: sealed::Token, _target: Handle<T>) {}
    fn visit(&self, _: sealed::Token, _edge: &mut dyn FnMut(usize, bool)) {}
    fn owner(&self, _: sealed::Token) -> Option<u32> {
        None
    }
    fn set_owner(&self, _: sealed::Token, _owner: u32) {}
}

impl<T: Send + Sync + 'static> RelationField<T> for Dynamic<T> {
    type Loaded = ();
    fn is_loaded(&self) -> bool {
        false
    }
    fn read(&self) -> crate::Result<()>
    where
        T: Record,
    {
        Err(crate::Error::Misuse(
            "a dynamic relation is a query: use session.dynamic(RELATION, &parent)".into(),
        ))
    }
    fn mode(&self) -> Option<Strategy> {
        None
    }
}

/// Keeps [`Loadable`] to the field types of this module.
mod loadable {
    pub trait Sealed {}
}

/// A relation field that loads: [`One`] and [`Many`], never [`Dynamic`].
/// Loader options ([`joined`](crate::joined), [`selectin`](crate::selectin),
/// [`select`](crate::select), [`bulk`](crate::bulk), [`raise`](crate::raise),
/// [`noload`](crate::noload)) and [`Session::load`](crate::Session::load)
/// take only relations whose field is `Loadable`, so misusing a `dynamic`
/// relation fails to compile instead of at run time. Sealed.
#[diagnostic::on_unimplemented(
    message = "`Dynamic` relations are queries: use session.dynamic(RELATION, &parent) to filter, order, count or page them",
    label = "this relation's field is `{Self}`, not `One<_>` or `Many<_>`",
    note = "loader options (joined, selectin, select, bulk, raise, noload, raise_on_sql, defaultload) and session.load take relations whose field is `One<T>` or `Many<T>`"
)]
pub trait Loadable<T>: RelationField<T> + loadable::Sealed {}

impl<T> loadable::Sealed for One<T> {}
impl<T> loadable::Sealed for Many<T> {}
impl<T: Send + Sync + 'static> Loadable<T> for One<T> {}
impl<T: Send + Sync + 'static> Loadable<T> for Many<T> {}

mod collection {
    pub trait Sealed {}
}

/// The field of a relation that holds many targets: `Many` or `Dynamic`.
/// [`Session::append`](crate::Session::append),
/// [`link`](crate::Session::link), [`unlink`](crate::Session::unlink) and
/// [`replace`](crate::Session::replace) take only such relations. Sealed.
#[diagnostic::on_unimplemented(
    message = "a to-one relation has no members to link or unlink",
    label = "this relation's field is `{Self}`, not `Many<_>` or `Dynamic<_>`",
    note = "set the foreign key (session.update_columns) or save the object with the relation loaded (session.insert)"
)]
pub trait Collection<T>: RelationField<T> + collection::Sealed {}

impl<T> collection::Sealed for Many<T> {}
impl<T> collection::Sealed for Dynamic<T> {}
impl<T: Send + Sync + 'static> Collection<T> for Many<T> {}
impl<T: Send + Sync + 'static> Collection<T> for Dynamic<T> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relation_fields_stay_small() {
        // A pointer and the slot: the relation's number,
        // the override, the lock and load bits and the owner in one word.
        assert_eq!(std::mem::size_of::<Slot>(), 8);
        assert_eq!(std::mem::size_of::<One<u64>>(), 16);
        assert_eq!(std::mem::size_of::<Many<u64>>(), 16);
    }

    #[test]
    fn the_cell_is_a_lock() {
        let one: std::sync::Arc<One<u64>> = std::sync::Arc::new(One::new());
        assert!(!one.is_loaded());
        assert!(one.set(Some(Handle::new(7))));
        assert!(!one.set(None), "a loaded relation is not replaced");
        assert_eq!(one.loaded.get().flatten().as_deref(), Some(&7));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let one = std::sync::Arc::clone(&one);
                std::thread::spawn(move || {
                    for i in 0..20_000u64 {
                        match i % 3 {
                            0 => {
                                let _ = one.loaded.get();
                            }
                            1 => drop(one.loaded.clear()),
                            _ => {
                                one.set(Some(Handle::new(i)));
                            }
                        }
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("no panic");
        }
        // Whatever the interleaving, the cell is consistent and unlocked.
        let state = one.loaded.slot.state.load(Ordering::Relaxed);
        assert_eq!(state & LOCKED, 0);
        assert_eq!(state & LOADED != 0, one.loaded.get().is_some());
    }

    #[test]
    fn a_many_keeps_its_list_through_clone_and_clear() {
        let many: Many<u64> = Many::loaded(vec![Handle::new(1), Handle::new(2)]);
        let copy = many.clone();
        assert_eq!(copy.loaded.get().map(|l| l.len()), Some(2));
        assert_eq!(many.loaded.clear().map(|l| l.len()), Some(2));
        assert!(!many.is_loaded());
        assert!(copy.is_loaded());
        assert!(many.loaded.get().is_none());
    }
}
