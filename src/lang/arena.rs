//! A per-thread arena for the syntax tree of the file being linted.
//!
//! tree-sitter allocates every node of a tree with `malloc` and frees them
//! one by one when the tree is dropped: on a cold run that is a tenth of
//! the instructions, and the nodes end up scattered over the heap. While
//! [`parse`] runs, tree-sitter's allocations on this thread are instead
//! cut one after the other from a few large chunks (blocks the parse frees
//! are reused by size); the tree is then dropped by forgetting it and
//! starting the chunks over, without a walk over its nodes.
//!
//! tree-sitter's allocator is process-wide, so [`install`] routes all of
//! its allocations through this module: outside a parse (other threads,
//! cursors, the language server's trees) they go to the C allocator as
//! before, and a block that is not in this thread's arena is freed by the
//! C allocator. Only the parse itself, with a parser made for it and
//! deleted right after, writes into the arena, so no tree-sitter object
//! that outlives the file points into it.

use std::cell::UnsafeCell;
use std::ffi::c_void;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;
use std::time::Instant;
use tree_sitter::{Parser, Tree};

use super::Lang;

/// Alignment of every block, as `malloc` gives.
const ALIGN: usize = 16;
/// Room before each block for its size. Blocks start 8 bytes past an
/// aligned address, so the header costs what glibc's own does.
const HEADER: usize = 8;
/// Size of a thread's first chunk, and what the size of every chunk is a
/// multiple of: one huge page of the processor, so that where the system
/// allows (Linux's transparent huge pages) a chunk costs one page fault
/// per 2 MiB instead of one per 4 KiB.
const FIRST_CHUNK: usize = 2 << 20;
/// Largest chunk a thread keeps between files (one huge page); a file that
/// needed more gives its chunks back, so one large file does not pin its
/// memory. Most files need less than a megabyte.
const KEEP: usize = 2 << 20;
/// Most a thread's arena may hold at once (a tree takes tens of times its
/// file's size); past it, allocations go to the C allocator and the tree
/// is freed node by node as before.
const LIMIT: usize = 256 << 20;

/// Freed blocks up to this span are kept for reuse, by span: error
/// recovery in a broken file frees nearly as much as it keeps (a 560 KB
/// file of random tokens took 250–300 MB without reuse).
const REUSED_SPAN: usize = 4096;
/// Free lists, one per span that is a multiple of [`ALIGN`].
const CLASSES: usize = REUSED_SPAN / ALIGN;

static INSTALL: Once = Once::new();
/// Set once tree-sitter's allocator is this module's.
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Memory from the system that blocks are cut from.
struct Chunk {
    start: *mut u8,
    len: usize,
}

impl Chunk {
    fn new(len: usize) -> Option<Chunk> {
        let start = system::map(len)?;
        Some(Chunk { start, len })
    }

    fn holds(&self, p: *const u8) -> bool {
        let (start, p) = (self.start as usize, p as usize);
        p >= start && p < start + self.len
    }

    /// Offset of block `p`'s header in this chunk.
    fn offset(&self, p: *const u8) -> usize {
        p as usize - HEADER - self.start as usize
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        system::unmap(self.start, self.len);
    }
}

struct Arena {
    /// Chunks in the order they were made; blocks are cut from the last.
    chunks: Vec<Chunk>,
    /// Offset of the next block's header in the last chunk.
    used: usize,
    /// Bytes in all chunks.
    reserved: usize,
    /// Whether tree-sitter's allocations on this thread go to the arena.
    active: bool,
    /// Trees from the arena still alive on this thread.
    trees: usize,
    /// Allocations that found the arena full.
    overflows: usize,
    /// Heads of the free lists by span class; a free block's first word
    /// holds the next block of its list.
    free: [*mut u8; CLASSES],
}

thread_local! {
    static ARENA: UnsafeCell<Arena> = const { UnsafeCell::new(Arena::new()) };
}

/// Runs `f` on this thread's arena (`None` while the thread exits).
fn with_arena<R>(f: impl FnOnce(&mut Arena) -> R) -> Option<R> {
    // SAFETY: the arena is thread-local, and every caller's `f` returns
    // before anything else can reach it: the allocator functions do not
    // call each other or tree-sitter while holding it.
    ARENA.try_with(|a| f(unsafe { &mut *a.get() })).ok()
}

/// Bytes a block of `size` takes, header included: a multiple of
/// [`ALIGN`], so every block stays aligned after the first.
fn span(size: usize) -> Option<usize> {
    size.checked_add(HEADER + ALIGN - 1)
        .map(|n| n & !(ALIGN - 1))
}

/// The size written before block `p`.
///
/// # Safety
/// `p` must have come from [`Arena::take`].
unsafe fn size_of_block(p: *const u8) -> usize {
    // SAFETY: `take` wrote the size in the 8-aligned header before `p`.
    unsafe { (p.sub(HEADER) as *const usize).read() }
}

impl Arena {
    const fn new() -> Arena {
        Arena {
            chunks: Vec::new(),
            used: HEADER,
            reserved: 0,
            active: false,
            trees: 0,
            overflows: 0,
            free: [ptr::null_mut(); CLASSES],
        }
    }

    fn holds(&self, p: *const u8) -> bool {
        self.chunks.iter().rev().any(|c| c.holds(p))
    }

    /// A block of `size` bytes, or null when the arena is full.
    fn take(&mut self, size: usize) -> *mut u8 {
        let Some(need) = span(size) else {
            return ptr::null_mut();
        };
        if let Some(class) = class_of(need) {
            let block = self.free[class];
            if !block.is_null() {
                // SAFETY: a block on a free list came from `take`: its
                // first word is the next free block, its header is its own.
                unsafe {
                    self.free[class] = (block as *const *mut u8).read();
                    (block.sub(HEADER) as *mut usize).write(size);
                }
                return block;
            }
        }
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| self.used.checked_add(need).is_some_and(|end| end <= c.len));
        if !fits && !self.grow(need) {
            self.overflows += 1;
            return ptr::null_mut();
        }
        let Some(chunk) = self.chunks.last() else {
            return ptr::null_mut();
        };
        // SAFETY: `used + need` is within the chunk (checked above) and
        // the header is 8-aligned.
        unsafe {
            let header = chunk.start.add(self.used);
            (header as *mut usize).write(size);
            self.used += need;
            header.add(HEADER)
        }
    }

    /// Starts a new chunk with room for a block of `need` bytes.
    fn grow(&mut self, need: usize) -> bool {
        let last = self.chunks.last().map_or(FIRST_CHUNK / 2, |c| c.len);
        let Some(len) = need
            .checked_add(HEADER + FIRST_CHUNK - 1)
            .map(|n| (n & !(FIRST_CHUNK - 1)).max(last * 2))
        else {
            return false;
        };
        if self
            .reserved
            .checked_add(len)
            .is_none_or(|total| total > LIMIT)
        {
            return false;
        }
        let Some(chunk) = Chunk::new(len) else {
            return false;
        };
        self.chunks.push(chunk);
        self.reserved += len;
        self.used = HEADER;
        true
    }

    /// If `p` is the last block: its header's offset and its chunk's size.
    fn last_block(&self, p: *const u8) -> Option<(usize, usize)> {
        let chunk = self.chunks.last()?;
        if !chunk.holds(p) {
            return None;
        }
        // SAFETY: `p` is in the arena, so it came from `take`.
        let need = span(unsafe { size_of_block(p) })?;
        let offset = chunk.offset(p);
        (offset + need == self.used).then_some((offset, chunk.len))
    }

    /// Takes back block `p`: the last block by moving the cursor back
    /// (scratch arrays are often freed right after they are made), others
    /// onto their free list; larger blocks wait for the reset.
    fn give_back(&mut self, p: *mut u8) {
        if let Some((offset, _)) = self.last_block(p) {
            self.used = offset;
            return;
        }
        // SAFETY: `p` is in the arena, so it came from `take`.
        let class = span(unsafe { size_of_block(p) }).and_then(class_of);
        if let Some(class) = class {
            // SAFETY: the block has at least 8 aligned bytes, no longer
            // in use.
            unsafe { (p as *mut *mut u8).write(self.free[class]) };
            self.free[class] = p;
        }
    }

    /// Grows the last block `p` to `size` bytes in place, if it is the
    /// last and its chunk has room.
    fn extend_last(&mut self, p: *const u8, size: usize) -> bool {
        let (Some((offset, len)), Some(need)) = (self.last_block(p), span(size)) else {
            return false;
        };
        match offset.checked_add(need) {
            Some(end) if end <= len => {
                self.used = end;
                true
            }
            _ => false,
        }
    }

    /// Forgets every block: called when no tree from the arena is left.
    /// The largest chunk is kept if it is small, so the next file starts
    /// on pages already touched; the others go back to the system.
    fn reset(&mut self) {
        self.free = [ptr::null_mut(); CLASSES];
        let keep = self.chunks.pop().filter(|c| c.len <= KEEP);
        self.chunks.clear();
        self.reserved = keep.as_ref().map_or(0, |c| c.len);
        self.chunks.extend(keep);
        self.used = HEADER;
    }

    /// Resizes block `p` of the arena: in place if it has room, else into
    /// a new block of the arena (the old one given back), else
    /// [`Resized::Out`] for the caller to move it to the C allocator.
    fn resize(&mut self, p: *mut u8, size: usize) -> Resized {
        // SAFETY: `p` is in the arena, so it came from `take`.
        let old = unsafe { size_of_block(p) };
        let room = span(old).map_or(0, |n| n - HEADER);
        if size <= room || self.extend_last(p, size) {
            // SAFETY: as above; the header is the block's.
            unsafe { (p.sub(HEADER) as *mut usize).write(size) };
            return Resized::InPlace;
        }
        let new = if self.active {
            self.take(size)
        } else {
            ptr::null_mut()
        };
        if new.is_null() {
            return Resized::Out { old };
        }
        // SAFETY: both blocks are the arena's, distinct, and hold at least
        // `old.min(size)` bytes.
        unsafe { ptr::copy_nonoverlapping(p, new, old.min(size)) };
        self.give_back(p);
        Resized::Moved(new)
    }
}

/// What became of a block of the arena asked to change size.
#[derive(Debug, PartialEq)]
enum Resized {
    InPlace,
    /// Moved, with its bytes, to another block of the arena.
    Moved(*mut u8),
    /// The arena cannot take it (not parsing, or full): the caller moves
    /// it and then gives the old block back. `old` is its size.
    Out {
        old: usize,
    },
}

/// The free list for blocks of `need` bytes, header included.
fn class_of(need: usize) -> Option<usize> {
    (need <= REUSED_SPAN).then(|| need / ALIGN - 1)
}

impl Drop for Arena {
    fn drop(&mut self) {
        if self.trees > 0 {
            // A tree of this thread outlives it (leaked, or kept by another
            // thread-local): its nodes must stay where they are.
            std::mem::forget(std::mem::take(&mut self.chunks));
        }
    }
}

/// What tree-sitter gets when the C allocator has no memory left: the
/// default allocator's answer, a message and an abort, rather than a null
/// pointer it would not check.
fn out_of_memory(size: usize) -> ! {
    eprintln!("backlint: out of memory allocating {size} bytes for a syntax tree");
    std::process::abort()
}

/// `p` from the C allocator, or [`out_of_memory`] when it gave nothing.
fn or_abort(p: *mut c_void, size: usize) -> *mut c_void {
    if p.is_null() && size > 0 {
        out_of_memory(size);
    }
    p
}

/// A block of `size` bytes from this thread's arena while it parses; null
/// otherwise, or when the arena is full.
fn take_while_parsing(size: usize) -> *mut u8 {
    with_arena(|a| a.active.then(|| a.take(size)))
        .flatten()
        .unwrap_or(ptr::null_mut())
}

extern "C" fn ts_arena_malloc(size: usize) -> *mut c_void {
    let p = take_while_parsing(size);
    if p.is_null() {
        // SAFETY: the C allocator, as tree-sitter would have called it.
        or_abort(unsafe { libc::malloc(size) }, size)
    } else {
        p.cast()
    }
}

extern "C" fn ts_arena_calloc(count: usize, size: usize) -> *mut c_void {
    let Some(total) = count.checked_mul(size) else {
        return ptr::null_mut();
    };
    let p = take_while_parsing(total);
    if p.is_null() {
        // SAFETY: the C allocator, as tree-sitter would have called it.
        or_abort(unsafe { libc::calloc(count, size) }, total)
    } else {
        // SAFETY: `take` gave `total` writable bytes; chunks are reused.
        unsafe { p.write_bytes(0, total) };
        p.cast()
    }
}

extern "C" fn ts_arena_realloc(p: *mut c_void, size: usize) -> *mut c_void {
    if p.is_null() {
        return ts_arena_malloc(size);
    }
    let block = p.cast::<u8>();
    let resized = with_arena(|a| a.holds(block).then(|| a.resize(block, size))).flatten();
    match resized {
        // SAFETY: not the arena's, so the C allocator gave it.
        None => or_abort(unsafe { libc::realloc(p, size) }, size),
        Some(Resized::InPlace) => p,
        Some(Resized::Moved(new)) => new.cast(),
        Some(Resized::Out { old }) => {
            // SAFETY: the C allocator, for a block the arena cannot take.
            let new = or_abort(unsafe { libc::malloc(size) }, size).cast::<u8>();
            // SAFETY: both blocks hold at least `old.min(size)` bytes and
            // do not overlap (`new` is not null: `or_abort`).
            unsafe { ptr::copy_nonoverlapping(block, new, old.min(size)) };
            with_arena(|a| a.give_back(block));
            new.cast()
        }
    }
}

extern "C" fn ts_arena_free(p: *mut c_void) {
    if p.is_null() {
        return;
    }
    let ours = with_arena(|a| {
        let ours = a.holds(p.cast());
        if ours {
            a.give_back(p.cast());
        }
        ours
    });
    if ours != Some(true) {
        // SAFETY: not the arena's, so the C allocator gave it.
        unsafe { libc::free(p) }
    }
}

/// Routes tree-sitter's allocations through this module. Call it at the
/// start of `main`, before any other thread exists; until it has been
/// called, [`parse`] parses with the C allocator.
pub fn install() {
    INSTALL.call_once(|| {
        // SAFETY: the functions behave as malloc/calloc/realloc/free (and
        // abort where those return null), and every block the C allocator
        // gave before this call is still freed by it, since it is in no
        // arena. Trees are put in arenas only once the flag below is set,
        // after the four functions are in place.
        unsafe {
            tree_sitter::set_allocator(Some(tree_sitter::Allocator {
                malloc: ts_arena_malloc,
                calloc: ts_arena_calloc,
                realloc: ts_arena_realloc,
                free: ts_arena_free,
            }));
        }
        INSTALLED.store(true, Ordering::Release);
    });
}

/// Trees from this thread's arena still alive.
pub fn live_trees() -> usize {
    with_arena(|a| a.trees).unwrap_or(0)
}

/// A tree parsed into this thread's arena (or, when the arena is not
/// installed or was full, with the C allocator). It cannot be sent to
/// another thread: its nodes live in this thread's arena.
pub struct FileTree {
    tree: ManuallyDrop<Tree>,
    /// Whether some nodes came from the C allocator and must be freed.
    free_nodes: bool,
    /// Whether the tree counts in this thread's arena.
    in_arena: bool,
    _this_thread: PhantomData<*const ()>,
}

impl FileTree {
    /// The tree's root. Only nodes are handed out, never the `Tree`: a
    /// copy of it would share nodes that go when this value goes.
    pub fn root_node(&self) -> tree_sitter::Node<'_> {
        self.tree.root_node()
    }

    /// Whether the nodes are in the arena (false when it is not installed,
    /// or was full, and they came from the C allocator).
    pub fn in_arena(&self) -> bool {
        self.in_arena && !self.free_nodes
    }
}

impl Drop for FileTree {
    fn drop(&mut self) {
        if self.free_nodes {
            // SAFETY: the tree is dropped once, here, and not used after.
            unsafe { ManuallyDrop::drop(&mut self.tree) };
        }
        if self.in_arena {
            with_arena(tree_done);
        }
    }
}

/// One tree of the arena is gone; with none left, the arena starts over.
/// (Trees of one thread normally end in the reverse order they began;
/// counting them keeps the arena safe in any order.)
fn tree_done(a: &mut Arena) {
    a.trees = a.trees.saturating_sub(1);
    if a.trees == 0 {
        a.reset();
    }
}

/// A parse into this thread's arena under way: while it lasts,
/// tree-sitter's allocations on this thread go to the arena. Dropping it
/// unfinished (no tree, or unwinding) gives up its tree's place in the arena.
struct Parsing {
    overflows_before: usize,
    finished: bool,
}

impl Parsing {
    /// Starts one, if the arena is installed.
    fn start() -> Option<Parsing> {
        if !INSTALLED.load(Ordering::Acquire) {
            return None;
        }
        with_arena(|a| {
            a.active = true;
            a.trees += 1;
            Parsing {
                overflows_before: a.overflows,
                finished: false,
            }
        })
    }

    /// Ends it; says whether the arena was full at some point, so that
    /// some of the tree's nodes are the C allocator's.
    fn finish(mut self) -> bool {
        self.finished = true;
        with_arena(|a| {
            a.active = false;
            a.overflows != self.overflows_before
        })
        .unwrap_or(true)
    }
}

impl Drop for Parsing {
    fn drop(&mut self) {
        if !self.finished {
            with_arena(|a| {
                a.active = false;
                tree_done(a);
            });
        }
    }
}

/// Parses `source` into this thread's arena with a parser made for it,
/// giving up (`None`) once `deadline` has passed.
pub fn parse(lang: Lang, source: &str, deadline: Option<Instant>) -> Option<FileTree> {
    let parsing = Parsing::start();
    // Without a tree, dropping `parsing` unfinished gives up its place.
    let tree = parse_with_new_parser(lang, source, deadline)?;
    let in_arena = parsing.is_some();
    let overflowed = parsing.map(Parsing::finish);
    Some(FileTree {
        tree: ManuallyDrop::new(tree),
        free_nodes: overflowed != Some(false),
        in_arena,
        _this_thread: PhantomData,
    })
}

/// Parses with a parser of its own, deleted before returning: everything
/// it allocated for itself is in the arena and must not outlive the file.
fn parse_with_new_parser(lang: Lang, source: &str, deadline: Option<Instant>) -> Option<Tree> {
    let mut parser = Parser::new();
    parser.set_language(&(lang.info().grammar)()).ok()?;
    crate::engine::parse_with(&mut parser, source, deadline)
}

/// Chunks straight from the system, so giving one back returns its pages
/// at once instead of leaving a hole in the C allocator's heap.
mod system {
    #[cfg(target_os = "linux")]
    use super::FIRST_CHUNK;

    #[cfg(unix)]
    fn anonymous(len: usize) -> Option<*mut u8> {
        // SAFETY: an anonymous private mapping; no file, no fixed address.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        (p != libc::MAP_FAILED).then_some(p.cast())
    }

    /// `len` bytes (a multiple of [`FIRST_CHUNK`]) at an address aligned
    /// to it, marked for huge pages.
    #[cfg(target_os = "linux")]
    pub fn map(len: usize) -> Option<*mut u8> {
        let padded = len.checked_add(FIRST_CHUNK)?;
        let p = anonymous(padded)?;
        let start = (p as usize).next_multiple_of(FIRST_CHUNK);
        let (head, tail) = (start - p as usize, padded - len - (start - p as usize));
        // SAFETY: the head and tail are the parts of the mapping just made
        // that lie outside `start..start + len`; the advice only changes
        // how the kernel backs the pages (a failure leaves small pages).
        unsafe {
            if head > 0 {
                libc::munmap(p.cast(), head);
            }
            if tail > 0 {
                libc::munmap((start + len) as *mut libc::c_void, tail);
            }
            libc::madvise(start as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
        }
        Some(start as *mut u8)
    }

    #[cfg(all(unix, not(target_os = "linux")))]
    pub fn map(len: usize) -> Option<*mut u8> {
        anonymous(len)
    }

    #[cfg(unix)]
    pub fn unmap(start: *mut u8, len: usize) {
        // SAFETY: `start..start + len` is a mapping made by `map`.
        unsafe { libc::munmap(start.cast(), len) };
    }

    #[cfg(not(unix))]
    pub fn map(len: usize) -> Option<*mut u8> {
        let layout = std::alloc::Layout::from_size_align(len, super::ALIGN).ok()?;
        // SAFETY: the layout's size is not zero.
        let p = unsafe { std::alloc::alloc(layout) };
        (!p.is_null()).then_some(p)
    }

    #[cfg(not(unix))]
    pub fn unmap(start: *mut u8, len: usize) {
        if let Ok(layout) = std::alloc::Layout::from_size_align(len, super::ALIGN) {
            // SAFETY: allocated by `map` with this layout.
            unsafe { std::alloc::dealloc(start, layout) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fills a block with its own number, so a block that overlaps
    /// another, or was moved without its bytes, shows.
    fn fill(p: *mut u8, size: usize, tag: u8) {
        // SAFETY: `p` holds `size` writable bytes.
        unsafe { p.write_bytes(tag, size) };
    }

    fn holds_only(p: *const u8, size: usize, tag: u8) -> bool {
        // SAFETY: `p` holds `size` readable bytes.
        unsafe { std::slice::from_raw_parts(p, size) }
            .iter()
            .all(|&b| b == tag)
    }

    #[test]
    fn blocks_are_aligned_and_apart() {
        let mut arena = Arena::new();
        let sizes = [0, 1, 7, 8, 9, 15, 16, 17, 100, 4096, 70_000, 3 << 20, 5];
        let blocks: Vec<_> = sizes
            .iter()
            .enumerate()
            .map(|(i, &size)| {
                let p = arena.take(size);
                assert!(!p.is_null());
                assert_eq!(p as usize % ALIGN, 0, "block of {size} bytes");
                fill(p, size, i as u8);
                (p, size)
            })
            .collect();
        for (i, &(p, size)) in blocks.iter().enumerate() {
            assert!(arena.holds(p));
            assert!(holds_only(p, size, i as u8), "block {i} was overwritten");
            // SAFETY: `p` came from `take`.
            assert_eq!(unsafe { size_of_block(p) }, size);
        }
        assert!(
            arena.chunks.len() > 1,
            "a 3 MiB block needs a chunk of its own"
        );
        assert!(!arena.holds(&arena as *const Arena as *const u8));
    }

    #[test]
    fn the_last_block_is_given_back_and_grown_in_place() {
        let mut arena = Arena::new();
        let first = arena.take(40);
        let second = arena.take(40);
        let used = arena.used;
        arena.give_back(first);
        assert_eq!(arena.used, used, "only the last block moves the cursor");
        arena.give_back(second);
        assert!(arena.used < used);
        assert_eq!(arena.take(40), first, "from its free list");
        assert_eq!(arena.take(40), second, "its room is used again");

        fill(second, 40, 9);
        assert_eq!(arena.resize(second, 1000), Resized::InPlace);
        assert!(holds_only(second, 40, 9));
        // SAFETY: `second` came from `take`.
        assert_eq!(unsafe { size_of_block(second) }, 1000);
        assert_eq!(
            arena.resize(second, 10),
            Resized::InPlace,
            "shrinking stays in place"
        );
    }

    #[test]
    fn a_block_that_cannot_grow_in_place_is_copied() {
        let mut arena = Arena::new();
        arena.active = true;
        let block = arena.take(24);
        fill(block, 24, 5);
        let _after = arena.take(8);
        let Resized::Moved(moved) = arena.resize(block, 500) else {
            panic!("a block followed by another moves within the arena");
        };
        assert!(moved != block && arena.holds(moved));
        assert!(holds_only(moved, 24, 5), "with its bytes");
        assert_eq!(arena.take(24), block, "and the old block is reused");
        arena.active = false;
        assert_eq!(
            arena.resize(block, 600),
            Resized::Out { old: 24 },
            "outside a parse the arena gives nothing"
        );
    }

    #[test]
    fn freed_blocks_are_reused_by_size() {
        let mut arena = Arena::new();
        let (small, large) = (arena.take(40), arena.take(REUSED_SPAN));
        let _last = arena.take(8);
        arena.give_back(small);
        arena.give_back(large);
        assert_eq!(arena.take(33), small, "a block of the same span is reused");
        assert_ne!(
            arena.take(REUSED_SPAN),
            large,
            "larger blocks wait for the reset"
        );
        // Churn like error recovery's: the arena does not grow with it.
        let reserved = arena.reserved;
        for _ in 0..100_000 {
            let kept = arena.take(200);
            let scratch = arena.take(72);
            arena.give_back(kept);
            let again = arena.take(200);
            assert_eq!(again, kept);
            arena.give_back(again);
            arena.give_back(scratch);
        }
        assert_eq!(arena.reserved, reserved);
        arena.give_back(small);
        arena.reset();
        assert!(
            arena.free.iter().all(|head| head.is_null()),
            "reset empties the lists"
        );
    }

    #[test]
    fn reset_keeps_the_last_chunk_if_small() {
        let mut arena = Arena::new();
        arena.take(100);
        let first = arena.chunks[0].start;
        arena.reset();
        assert_eq!(arena.chunks.len(), 1, "one small chunk is kept");
        assert_eq!(arena.chunks[0].start, first);
        assert_eq!(arena.used, HEADER);
        assert_eq!(
            arena.take(100),
            first.wrapping_add(2 * HEADER),
            "and used again"
        );
        arena.take(KEEP);
        assert_eq!(arena.chunks.len(), 2);
        arena.reset();
        assert!(
            arena.chunks.is_empty(),
            "a chunk over the size kept goes back"
        );
        assert_eq!(arena.reserved, 0);
    }

    #[test]
    fn chunks_are_whole_aligned_huge_pages() {
        let mut arena = Arena::new();
        for size in [10, FIRST_CHUNK, 3 * FIRST_CHUNK + 5] {
            arena.take(size);
            let chunk = arena.chunks.last().expect("a chunk");
            assert_eq!(chunk.len % FIRST_CHUNK, 0);
            if cfg!(target_os = "linux") {
                assert_eq!(chunk.start as usize % FIRST_CHUNK, 0);
            }
        }
    }

    fn in_this_arena(p: *mut c_void) -> bool {
        with_arena(|a| a.holds(p.cast())).unwrap_or(false)
    }

    #[test]
    fn the_allocator_functions_use_the_arena_only_while_parsing() {
        // Outside a parse: the C allocator's blocks, through and through.
        let c = ts_arena_malloc(100);
        assert!(!c.is_null() && !in_this_arena(c));
        fill(c.cast(), 100, 3);
        let c = ts_arena_realloc(c, 10_000);
        assert!(!in_this_arena(c) && holds_only(c.cast(), 100, 3));
        ts_arena_free(c);
        let zeroed = ts_arena_calloc(10, 10);
        assert!(!in_this_arena(zeroed) && holds_only(zeroed.cast(), 100, 0));
        ts_arena_free(zeroed);

        with_arena(|a| a.active = true);
        let kept = ts_arena_malloc(48);
        assert!(in_this_arena(kept));
        fill(kept.cast(), 48, 7);
        // A block given back and taken again is zeroed by calloc.
        let scratch = ts_arena_malloc(64);
        fill(scratch.cast(), 64, 0xff);
        ts_arena_free(scratch);
        let zeroed = ts_arena_calloc(8, 8);
        assert_eq!(zeroed, scratch, "the freed last block is reused");
        assert!(holds_only(zeroed.cast(), 64, 0));
        // A block that is not the last moves when it grows, bytes and all.
        let grown = ts_arena_realloc(kept, 4000);
        assert!(grown != kept && in_this_arena(grown));
        assert!(holds_only(grown.cast(), 48, 7));
        with_arena(|a| a.active = false);

        // After the parse, a block of the arena that grows moves to the
        // C allocator.
        let moved = ts_arena_realloc(zeroed, 100_000);
        assert!(!in_this_arena(moved) && holds_only(moved.cast(), 64, 0));
        ts_arena_free(moved);
        ts_arena_free(grown);
        ts_arena_free(ptr::null_mut());
    }

    #[test]
    fn a_full_arena_says_so() {
        let mut arena = Arena::new();
        assert!(arena.take(LIMIT).is_null());
        assert_eq!(arena.overflows, 1);
        assert!(arena.take(usize::MAX).is_null());
        assert!(!arena.take(64).is_null(), "smaller blocks still fit");
        // Sizes whose sums would wrap around are refused, not cut short.
        assert!(arena.take(usize::MAX - 40).is_null());
        assert_eq!(arena.overflows, 2);
        let last = arena.take(16);
        assert_eq!(
            arena.resize(last, usize::MAX - 40),
            Resized::Out { old: 16 }
        );
    }
}
