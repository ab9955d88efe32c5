//! `Handle<T>`: the shared, reference-counted handle of a loaded object,
//! allocated in per-type chunks instead of one heap block per row.
//!
//! It behaves like `Arc<T>` (clone, deref, weak references, `ptr_eq`), but
//! a session places the objects of one entity side by side in chunks of a
//! few hundred slots: loading 100 000 rows makes a few hundred allocations,
//! not 100 000, and dropping them frees a few hundred blocks instead of
//! feeding 100 000 small ones to the allocator (glibc consolidates those in
//! a second pass over scattered memory, which measured as most of the cost
//! of dropping a large graph). A chunk is freed when the last handle and
//! weak reference of its last slot are gone, so one object kept alive keeps
//! its chunk: the memory held is bounded by the chunk size per live object.
//! Objects made outside a session (`Handle::new`) get a chunk of one.

use std::alloc::{self, Layout};
use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::mem::{self, ManuallyDrop};
use std::ops::Deref;
use std::ptr::{self, NonNull};
use std::sync::atomic::{fence, AtomicU32, AtomicUsize, Ordering};

/// Counts above this abort the process, as `Arc` does: a count that wraps
/// would free an object still in use.
const MAX_COUNT: u32 = i32::MAX as u32;

/// Chunks grow from this many slots, doubling up to [`CHUNK_BYTES`].
const FIRST_CHUNK_SLOTS: usize = 8;

/// A chunk's size bound: well under glibc's mmap threshold (128 KiB), so a
/// chunk is an ordinary heap block, and small enough that a long-lived
/// object pins little.
const CHUNK_BYTES: usize = 32 * 1024;

struct ChunkHeader {
    /// What keeps the chunk: one for each slot whose object is alive (all
    /// its handles together), one for each weak handle into the chunk, and,
    /// while a slab still allocates from it, one for each slot not handed
    /// out yet and one for the slab itself. Slots are never reused, so a
    /// weak handle needs only its chunk, not a count of its own slot.
    live: AtomicUsize,
    capacity: usize,
}

/// Eight bytes before the object: its strong count and its place in the
/// chunk, from which the chunk's header is found.
struct Slot<T> {
    strong: AtomicU32,
    index: u32,
    value: ManuallyDrop<T>,
}

/// Where a chunk's first slot starts, whatever its capacity.
fn slots_offset<T>() -> usize {
    chunk_layout::<T>(0).1
}

/// The chunk that holds `slot`.
///
/// # Safety
/// `slot` is a slot handed out of a live chunk.
unsafe fn chunk_of<T>(slot: NonNull<Slot<T>>) -> NonNull<ChunkHeader> {
    // SAFETY: the slot lies `index` slots after the chunk's first, inside
    // the one allocation the header starts.
    unsafe {
        let index = (*slot.as_ptr()).index as usize;
        let first = slot.as_ptr().sub(index);
        NonNull::new_unchecked(first.byte_sub(slots_offset::<T>()).cast::<ChunkHeader>())
    }
}

/// Takes one more count of `slot`'s chunk (for a weak handle).
///
/// # Safety
/// The caller holds a count of the chunk already.
unsafe fn retain_chunk<T>(slot: NonNull<Slot<T>>) {
    // SAFETY: the chunk is alive: the caller holds part of its count.
    let old = unsafe { chunk_of(slot).as_ref() }
        .live
        .fetch_add(1, Ordering::Relaxed);
    if old > isize::MAX as usize {
        std::process::abort();
    }
}

/// The layout of a chunk of `capacity` slots and the offset of its first.
fn chunk_layout<T>(capacity: usize) -> (Layout, usize) {
    let slots = Layout::array::<Slot<T>>(capacity).unwrap_or_else(|_| capacity_overflow());
    let (layout, offset) = Layout::new::<ChunkHeader>()
        .extend(slots)
        .unwrap_or_else(|_| capacity_overflow());
    (layout.pad_to_align(), offset)
}

#[cold]
fn capacity_overflow() -> ! {
    panic!("handle chunk size overflows")
}

/// Allocates a chunk of `capacity` slots whose `live` count starts at
/// `live`; returns it and its first slot.
fn new_chunk<T>(capacity: usize, live: usize) -> (NonNull<ChunkHeader>, NonNull<Slot<T>>) {
    let (layout, offset) = chunk_layout::<T>(capacity);
    // SAFETY: the layout has a non-zero size (it holds the header).
    let base = unsafe { alloc::alloc(layout) };
    let Some(base) = NonNull::new(base) else {
        alloc::handle_alloc_error(layout)
    };
    let header = base.cast::<ChunkHeader>();
    // SAFETY: `base` is a fresh allocation of `layout`, which starts with
    // a header and has `capacity` slots from `offset`.
    unsafe {
        header.as_ptr().write(ChunkHeader {
            live: AtomicUsize::new(live),
            capacity,
        });
        (header, base.add(offset).cast::<Slot<T>>())
    }
}

/// Gives back `count` of a chunk's live count, freeing it at zero.
///
/// # Safety
/// `chunk` holds slots of `T`, and the caller owns `count` of its count.
unsafe fn release_chunk<T>(chunk: NonNull<ChunkHeader>, count: usize) {
    // SAFETY: the chunk is alive while its count is above zero, and the
    // caller owns part of it.
    let header = unsafe { chunk.as_ref() };
    if header.live.fetch_sub(count, Ordering::Release) != count {
        return;
    }
    fence(Ordering::Acquire);
    let (layout, _) = chunk_layout::<T>(header.capacity);
    // SAFETY: the count reached zero: nothing refers to the chunk, and it
    // was allocated with this layout.
    unsafe { alloc::dealloc(chunk.as_ptr().cast(), layout) };
}

/// Writes `value` into slot `index` of a chunk, with one strong reference.
///
/// # Safety
/// `slot` is the unused slot `index` of a chunk whose live count already
/// counts it.
unsafe fn fill<T>(slot: NonNull<Slot<T>>, index: usize, value: T) -> Handle<T> {
    // SAFETY: the slot is unused memory of the chunk, sized for a slot.
    unsafe {
        slot.as_ptr().write(Slot {
            strong: AtomicU32::new(1),
            index: index as u32,
            value: ManuallyDrop::new(value),
        });
    }
    Handle {
        slot,
        _owns: PhantomData,
    }
}

/// A session's allocator of `T` slots: hands them out of its current chunk
/// in order and starts a larger one when it is full.
pub(crate) struct Slab<T> {
    chunk: Option<NonNull<ChunkHeader>>,
    first: *mut Slot<T>,
    used: usize,
    capacity: usize,
}

// SAFETY: the slab only hands out slots (under `&mut self`) and gives back
// its share of a chunk's count, which is atomic; the objects it places
// cross threads as `Handle<T>` does.
unsafe impl<T: Send + Sync> Send for Slab<T> {}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            chunk: None,
            first: ptr::null_mut(),
            used: 0,
            capacity: 0,
        }
    }
}

impl<T> Slab<T> {
    fn max_slots() -> usize {
        (CHUNK_BYTES / mem::size_of::<Slot<T>>().max(1)).max(1)
    }

    /// Places `value` in the next free slot.
    pub(crate) fn alloc(&mut self, value: T) -> Handle<T> {
        if self.used == self.capacity {
            self.start_chunk();
        }
        let index = self.used;
        self.used += 1;
        // SAFETY: `index < capacity`: the slot is inside the current chunk
        // and unused, and the chunk's count already counts it.
        unsafe { fill(NonNull::new_unchecked(self.first.add(index)), index, value) }
    }

    fn start_chunk(&mut self) {
        let capacity = if self.capacity == 0 {
            FIRST_CHUNK_SLOTS.min(Self::max_slots())
        } else {
            (self.capacity * 2).min(Self::max_slots())
        };
        self.release();
        let (chunk, first) = new_chunk::<T>(capacity, capacity + 1);
        self.chunk = Some(chunk);
        self.first = first.as_ptr();
        self.used = 0;
        self.capacity = capacity;
    }

    /// Gives back the current chunk's unused slots and the slab's hold.
    fn release(&mut self) {
        if let Some(chunk) = self.chunk.take() {
            // SAFETY: the slab owns one count for itself and one for each
            // slot it has not handed out.
            unsafe { release_chunk::<T>(chunk, 1 + self.capacity - self.used) };
        }
    }
}

impl<T> Drop for Slab<T> {
    fn drop(&mut self) {
        self.release();
    }
}

/// A shared handle to a loaded object: cloning it is cheap and every clone
/// is the same object (`Handle::ptr_eq`). Within a session, one row is one
/// handle's object. Derefs to the entity.
pub struct Handle<T> {
    slot: NonNull<Slot<T>>,
    _owns: PhantomData<Slot<T>>,
}

// SAFETY: as for `Arc<T>`: the object is shared between threads (Sync) and
// may be dropped on any of them (Send); the counts are atomic.
unsafe impl<T: Send + Sync> Send for Handle<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for Handle<T> {}

impl<T> Handle<T> {
    /// A handle to `value`, outside any session (a chunk of its own).
    pub fn new(value: T) -> Handle<T> {
        let (_, slot) = new_chunk::<T>(1, 1);
        // SAFETY: the chunk's one slot is unused, and counted.
        unsafe { fill(slot, 0, value) }
    }

    fn slot(&self) -> &Slot<T> {
        // SAFETY: a handle keeps its slot alive.
        unsafe { self.slot.as_ref() }
    }

    /// Whether two handles are the same object.
    pub fn ptr_eq(this: &Handle<T>, other: &Handle<T>) -> bool {
        this.slot == other.slot
    }

    /// The object's address (stable while any handle or weak handle lives).
    pub fn as_ptr(this: &Handle<T>) -> *const T {
        value_ptr(this.slot)
    }

    /// How many handles to this object exist.
    pub fn strong_count(this: &Handle<T>) -> usize {
        this.slot().strong.load(Ordering::Acquire) as usize
    }

    /// A weak handle: it does not keep the object alive.
    pub fn downgrade(this: &Handle<T>) -> WeakHandle<T> {
        // SAFETY: the handle's object holds a count of the chunk.
        unsafe { retain_chunk(this.slot) };
        WeakHandle {
            slot: this.slot,
            _owns: PhantomData,
        }
    }

    /// The object, if this was its last handle (as `Arc::into_inner`).
    pub fn into_inner(this: Handle<T>) -> Option<T> {
        let this = ManuallyDrop::new(this);
        if this.slot().strong.fetch_sub(1, Ordering::Release) != 1 {
            return None;
        }
        fence(Ordering::Acquire);
        // SAFETY: the strong count reached zero here.
        Some(unsafe { take_value(this.slot) })
    }

    /// The object, if this is its only handle (as `Arc::try_unwrap`);
    /// otherwise the handle back.
    pub fn try_unwrap(this: Handle<T>) -> Result<T, Handle<T>> {
        if this
            .slot()
            .strong
            .compare_exchange(1, 0, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return Err(this);
        }
        let this = ManuallyDrop::new(this);
        // SAFETY: the strong count went from one to zero here.
        Ok(unsafe { take_value(this.slot) })
    }
}

/// The address of `slot`'s object; no reference is made, so the object may
/// be gone.
fn value_ptr<T>(slot: NonNull<Slot<T>>) -> *const T {
    // SAFETY: only an address is computed, inside the slot.
    unsafe { ptr::addr_of!((*slot.as_ptr()).value).cast::<T>() }
}

/// Moves the object out of `slot` and gives back its count of the chunk.
///
/// # Safety
/// The strong count reached zero through the caller, who does not touch the
/// slot afterwards.
unsafe fn take_value<T>(slot: NonNull<Slot<T>>) -> T {
    // SAFETY: no handle reads the value any more, and it is moved out once.
    unsafe {
        let value = ptr::read(ptr::addr_of!((*slot.as_ptr()).value));
        release_object(slot);
        ManuallyDrop::into_inner(value)
    }
}

/// Gives back one count of `slot`'s chunk: the object's, once it is
/// dropped, or a weak handle's.
///
/// # Safety
/// The caller owns that count, and does not touch the slot afterwards.
unsafe fn release_object<T>(slot: NonNull<Slot<T>>) {
    // SAFETY: the chunk is alive while the caller's count is in it.
    unsafe { release_chunk::<T>(chunk_of(slot), 1) };
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        let old = self.slot().strong.fetch_add(1, Ordering::Relaxed);
        if old > MAX_COUNT {
            std::process::abort();
        }
        Handle {
            slot: self.slot,
            _owns: PhantomData,
        }
    }
}

impl<T> Drop for Handle<T> {
    fn drop(&mut self) {
        if self.slot().strong.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        fence(Ordering::Acquire);
        // SAFETY: the last handle: nobody reads the value any more, and it
        // is dropped once; then the object's count of its chunk goes.
        unsafe {
            ManuallyDrop::drop(&mut (*self.slot.as_ptr()).value);
            release_object(self.slot);
        }
    }
}

impl<T> Deref for Handle<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.slot().value
    }
}

impl<T> AsRef<T> for Handle<T> {
    fn as_ref(&self) -> &T {
        self
    }
}

impl<T> Borrow<T> for Handle<T> {
    fn borrow(&self) -> &T {
        self
    }
}

impl<T> From<T> for Handle<T> {
    fn from(value: T) -> Self {
        Handle::new(value)
    }
}

impl<T: fmt::Debug> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Display> fmt::Display for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T: PartialEq> PartialEq for Handle<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T: Eq> Eq for Handle<T> {}

impl<T: PartialOrd> PartialOrd for Handle<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        (**self).partial_cmp(&**other)
    }
}

impl<T: Ord> Ord for Handle<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (**self).cmp(&**other)
    }
}

impl<T: Hash> Hash for Handle<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (**self).hash(state)
    }
}

/// A reference that does not keep its object alive; `upgrade` gives a
/// [`Handle`] while one exists.
pub struct WeakHandle<T> {
    slot: NonNull<Slot<T>>,
    _owns: PhantomData<Slot<T>>,
}

// SAFETY: as for `std::sync::Weak<T>`.
unsafe impl<T: Send + Sync> Send for WeakHandle<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for WeakHandle<T> {}

impl<T> WeakHandle<T> {
    /// A handle, if the object is still alive.
    pub fn upgrade(&self) -> Option<Handle<T>> {
        // SAFETY: a weak handle keeps its chunk, so the slot's count, alive
        // (not its value); only the count is read here.
        let strong = unsafe { &(*self.slot.as_ptr()).strong };
        let mut count = strong.load(Ordering::Relaxed);
        loop {
            if count == 0 {
                return None;
            }
            if count > MAX_COUNT {
                std::process::abort();
            }
            match strong.compare_exchange_weak(
                count,
                count + 1,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    return Some(Handle {
                        slot: self.slot,
                        _owns: PhantomData,
                    })
                }
                Err(now) => count = now,
            }
        }
    }

    /// The object's address, as [`Handle::as_ptr`] gives it (the object
    /// may be gone).
    pub fn as_ptr(&self) -> *const T {
        value_ptr(self.slot)
    }

    /// How many handles to the object exist (0: it is gone).
    pub fn strong_count(&self) -> usize {
        // SAFETY: as in `upgrade`.
        unsafe { (*self.slot.as_ptr()).strong.load(Ordering::Acquire) as usize }
    }
}

impl<T> Clone for WeakHandle<T> {
    fn clone(&self) -> Self {
        // SAFETY: this weak handle holds a count of the chunk.
        unsafe { retain_chunk(self.slot) };
        WeakHandle {
            slot: self.slot,
            _owns: PhantomData,
        }
    }
}

impl<T> Drop for WeakHandle<T> {
    fn drop(&mut self) {
        // SAFETY: this weak handle owns one count of the chunk.
        unsafe { release_object(self.slot) }
    }
}

impl<T> fmt::Debug for WeakHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(WeakHandle)")
    }
}

/// A loaded collection: an immutable list of handles shared by every
/// reader, behind one pointer (an `Arc<[Handle<T>]>` is two), so a `Many`
/// field is 16 bytes. Derefs to `[Handle<T>]`; cloning it is one count.
/// The empty list allocates nothing.
pub struct List<T> {
    header: NonNull<ListHeader>,
    _owns: PhantomData<Handle<T>>,
}

struct ListHeader {
    count: AtomicUsize,
    len: usize,
}

/// The one empty list: never counted, never freed.
static EMPTY_LIST: ListHeader = ListHeader {
    count: AtomicUsize::new(1),
    len: 0,
};

// SAFETY: as for `Arc<[Handle<T>]>`: the handles are shared between
// threads and may be dropped on any of them; the count is atomic.
unsafe impl<T: Send + Sync> Send for List<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for List<T> {}

fn list_layout<T>(len: usize) -> (Layout, usize) {
    let items = Layout::array::<Handle<T>>(len).unwrap_or_else(|_| capacity_overflow());
    let (layout, offset) = Layout::new::<ListHeader>()
        .extend(items)
        .unwrap_or_else(|_| capacity_overflow());
    (layout.pad_to_align(), offset)
}

impl<T> List<T> {
    /// The empty list.
    pub fn new() -> List<T> {
        List {
            header: NonNull::from(&EMPTY_LIST),
            _owns: PhantomData,
        }
    }

    fn is_static(&self) -> bool {
        ptr::eq(self.header.as_ptr(), &EMPTY_LIST)
    }

    fn items(&self) -> *mut Handle<T> {
        let (_, offset) = list_layout::<T>(0);
        // SAFETY: the items start `offset` bytes into the list's block (for
        // the empty list, the pointer is only used for a slice of length 0,
        // and stays inside the static's bounds or one past them).
        unsafe { self.header.as_ptr().cast::<u8>().add(offset).cast() }
    }

    /// How many lists share these items (as `Arc::strong_count`).
    pub fn strong_count(this: &List<T>) -> usize {
        if this.is_static() {
            return usize::MAX;
        }
        // SAFETY: a list keeps its block alive.
        unsafe { this.header.as_ref() }
            .count
            .load(Ordering::Acquire)
    }

    /// Whether two lists share their items.
    pub fn ptr_eq(this: &List<T>, other: &List<T>) -> bool {
        this.header == other.header
    }
}

impl<T> From<Vec<Handle<T>>> for List<T> {
    fn from(mut handles: Vec<Handle<T>>) -> Self {
        let len = handles.len();
        if len == 0 {
            return List::new();
        }
        let (layout, offset) = list_layout::<T>(len);
        // SAFETY: the layout has a non-zero size (it holds the header).
        let base = unsafe { alloc::alloc(layout) };
        let Some(base) = NonNull::new(base) else {
            alloc::handle_alloc_error(layout)
        };
        // SAFETY: `base` is a fresh block of `layout`: a header, then room
        // for `len` handles at `offset`; the handles move out of the vector,
        // which then forgets them.
        unsafe {
            base.cast::<ListHeader>().as_ptr().write(ListHeader {
                count: AtomicUsize::new(1),
                len,
            });
            ptr::copy_nonoverlapping(
                handles.as_ptr(),
                base.as_ptr().add(offset).cast::<Handle<T>>(),
                len,
            );
            handles.set_len(0);
        }
        List {
            header: base.cast(),
            _owns: PhantomData,
        }
    }
}

impl<T> Default for List<T> {
    fn default() -> Self {
        List::new()
    }
}

impl<T> Deref for List<T> {
    type Target = [Handle<T>];
    fn deref(&self) -> &[Handle<T>] {
        // SAFETY: the block holds `len` initialized handles from `items`,
        // alive while the list is.
        unsafe { std::slice::from_raw_parts(self.items(), self.header.as_ref().len) }
    }
}

impl<T> Clone for List<T> {
    fn clone(&self) -> Self {
        if !self.is_static() {
            // SAFETY: a list keeps its block alive.
            let old = unsafe { self.header.as_ref() }
                .count
                .fetch_add(1, Ordering::Relaxed);
            if old > isize::MAX as usize {
                std::process::abort();
            }
        }
        List {
            header: self.header,
            _owns: PhantomData,
        }
    }
}

impl<T> Drop for List<T> {
    fn drop(&mut self) {
        if self.is_static() {
            return;
        }
        // SAFETY: a list keeps its block alive until its count is given back.
        let len = unsafe {
            let header = self.header.as_ref();
            if header.count.fetch_sub(1, Ordering::Release) != 1 {
                return;
            }
            fence(Ordering::Acquire);
            header.len
        };
        // SAFETY: the last list: its handles are dropped once, then the block
        // (allocated with this layout) is freed.
        unsafe {
            ptr::drop_in_place(ptr::slice_from_raw_parts_mut(self.items(), len));
            alloc::dealloc(self.header.as_ptr().cast(), list_layout::<T>(len).0);
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for List<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: PartialEq> PartialEq for List<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<'a, T> IntoIterator for &'a List<T> {
    type Item = &'a Handle<T>;
    type IntoIter = std::slice::Iter<'a, Handle<T>>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    /// Counts its drops.
    struct Counted(Arc<AtomicUsize>, u64);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn objects_drop_once_whether_handles_or_the_slab_go_first() {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut slab = Slab::default();
        let handles: Vec<_> = (0..1000)
            .map(|i| slab.alloc(Counted(drops.clone(), i)))
            .collect();
        let weak: Vec<_> = handles.iter().map(Handle::downgrade).collect();
        let kept = handles[500].clone();
        drop(handles);
        assert_eq!(drops.load(Ordering::SeqCst), 999);
        assert!(weak[3].upgrade().is_none());
        assert_eq!(weak[500].upgrade().map(|h| h.1), Some(500));
        drop(slab);
        drop(weak);
        assert_eq!(kept.1, 500);
        drop(kept);
        assert_eq!(drops.load(Ordering::SeqCst), 1000);
    }

    #[test]
    fn into_inner_and_try_unwrap_move_the_last_object_out() {
        let a = Handle::new(String::from("a"));
        let b = a.clone();
        assert_eq!(Handle::strong_count(&a), 2);
        let a = Handle::try_unwrap(a).unwrap_err();
        assert!(Handle::into_inner(b).is_none());
        let weak = Handle::downgrade(&a);
        assert_eq!(Handle::into_inner(a).as_deref(), Some("a"));
        assert!(weak.upgrade().is_none());
        assert_eq!(weak.strong_count(), 0);
    }

    #[test]
    fn handles_cross_threads() {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut slab = Slab::default();
        let handles: Vec<_> = (0..4000)
            .map(|i| slab.alloc(Counted(drops.clone(), i)))
            .collect();
        let threads: Vec<_> = handles
            .chunks(1000)
            .map(|part| {
                let part: Vec<_> = part.iter().flat_map(|h| [h.clone(), h.clone()]).collect();
                std::thread::spawn(move || part.iter().map(|h| h.1).sum::<u64>())
            })
            .collect();
        drop(handles);
        let sum: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(sum, 2 * (0..4000).sum::<u64>());
        assert_eq!(drops.load(Ordering::SeqCst), 4000);
        drop(slab);
    }

    #[test]
    fn weak_handles_race_the_last_drop_without_reviving_an_object() {
        let drops = Arc::new(AtomicUsize::new(0));
        for round in 0..50 {
            let mut slab = Slab::default();
            let handles: Vec<_> = (0..64)
                .map(|i| slab.alloc(Counted(drops.clone(), i)))
                .collect();
            let weak: Vec<_> = handles.iter().map(Handle::downgrade).collect();
            drop(slab);
            let upgrader = std::thread::spawn(move || {
                let mut seen = 0u64;
                for _ in 0..4 {
                    for w in &weak {
                        if let Some(h) = w.upgrade() {
                            seen += h.1 + 1;
                        }
                    }
                }
                seen
            });
            drop(handles);
            upgrader.join().unwrap();
            assert_eq!(drops.load(Ordering::SeqCst), 64 * (round + 1));
        }
    }

    #[test]
    fn slots_are_eight_bytes_before_the_object() {
        assert_eq!(mem::size_of::<Slot<u64>>(), 16);
        assert_eq!(mem::size_of::<Slot<[u64; 13]>>(), 112);
    }

    #[test]
    fn lists_share_their_handles_and_drop_them_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut slab = Slab::default();
        let handles: Vec<_> = (0..10)
            .map(|i| slab.alloc(Counted(drops.clone(), i)))
            .collect();
        let list = List::from(handles);
        let other = list.clone();
        assert_eq!(List::strong_count(&list), 2);
        assert!(List::ptr_eq(&list, &other));
        assert_eq!(other.iter().map(|h| h.1).sum::<u64>(), 45);
        drop(list);
        assert_eq!(drops.load(Ordering::SeqCst), 0);
        drop(other);
        assert_eq!(drops.load(Ordering::SeqCst), 10);
        let empty: List<Counted> = List::from(Vec::new());
        assert!(empty.is_empty());
        assert!(List::ptr_eq(&empty, &List::new()));
        drop(empty.clone());
        assert_eq!(mem::size_of::<Option<List<u64>>>(), 8);
    }

    #[test]
    fn equality_and_order_follow_the_objects() {
        let (a, b) = (Handle::new(1), Handle::new(1));
        assert_eq!(a, b);
        assert!(!Handle::ptr_eq(&a, &b));
        assert!(Handle::ptr_eq(&a, &a.clone()));
        assert!(Handle::new(0) < a);
        assert_eq!(format!("{a:?}"), "1");
    }
}
