//! A subtree's nodes listed in pre-order by one pass over tree-sitter's
//! child arrays (`flatten.c`), for walks that visit most of a subtree.
//!
//! A tree cursor pays about 600 instructions for a step to a next sibling
//! on Python, because it climbs through the hidden repetition nodes that
//! hold a grammar's lists; the pass keeps each level's place instead. The
//! list holds, per node, what a [`Node`] is made of (its subtree, start and
//! alias), its kind id, its field id (in lists of children) and where its
//! descendants end, so a walk can skip a subtree.

use std::cell::RefCell;
use std::ffi::c_void;
use std::marker::PhantomData;
use tree_sitter::ffi::{TSNode, TSTree};
use tree_sitter::{Node, TreeCursor};

use super::kind_set::KindSet;

/// One node of the list (`BacklintVisit` in `flatten.c`).
#[repr(C)]
#[derive(Clone, Copy)]
struct Visit {
    id: *const c_void,
    start_byte: u32,
    start_row: u32,
    start_column: u32,
    alias: u16,
    field: u16,
    symbol: u16,
    reserved: u16,
    depth: u32,
    end: u32,
}

/// Words (`u64`, for the alignment) the pass's stack starts with; deeper
/// trees grow it.
const FIRST_FRAME_WORDS: usize = 2048;
/// Room a list keeps for the next one on the thread: one list up to the
/// first size, several up to the second.
const KEEP_LARGE: usize = 32 * 1024;
const KEEP_SMALL: usize = 256;
/// How many small lists a thread keeps (walks nest a few levels deep).
const SMALL_LISTS: usize = 64;

extern "C" {
    fn backlint_flatten(
        root: TSNode,
        out: *mut Visit,
        out_capacity: u32,
        frames: *mut u64,
        frame_capacity: u32,
        children_only: u32,
        enter_kinds: *const u64,
        enter_words: u32,
        skip_anonymous_leaves: u32,
    ) -> i64;
    fn backlint_flatten_visit_size() -> usize;
    fn backlint_flatten_frame_size() -> usize;
}

thread_local! {
    /// Lists given back by finished walks, for the next ones: small ones
    /// and one large one, so that a thread keeps little memory.
    static SPARE: RefCell<Spare> = const { RefCell::new(Spare { small: Vec::new(), large: Vec::new() }) };
    /// The pass's stack of levels.
    static FRAMES: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// The nodes of a subtree in pre-order, the subtree's root first.
pub struct Flat<'t> {
    visits: Vec<Visit>,
    tree: *const TSTree,
    _tree: PhantomData<&'t ()>,
}

impl<'t> Flat<'t> {
    /// Lists `root` and its descendants, leaving out the descendants of
    /// nodes whose kind is not in `enter` and that hold no syntax error
    /// (with `None`, every descendant), and without `anonymous_leaves`
    /// the anonymous nodes that have no children (punctuation, keywords).
    pub fn of(root: Node<'t>, enter: Option<&KindSet>, anonymous_leaves: bool) -> Flat<'t> {
        // The subtree keeps its count of visible descendants.
        let listing = Listing::Subtree {
            enter,
            anonymous_leaves,
        };
        Flat::list(root, root.descendant_count(), listing)
    }

    /// Lists `parent` and its children, whose [`Flat::field`]s are known.
    pub fn children(parent: Node<'t>) -> Flat<'t> {
        Flat::list(parent, parent.child_count() as usize + 1, Listing::Children)
    }

    fn list(root: Node<'t>, count: usize, listing: Listing<'_>) -> Flat<'t> {
        let raw = root.into_raw();
        let mut visits = SPARE
            .try_with(|s| s.borrow_mut().take(count))
            .unwrap_or_default();
        visits.clear();
        let listed = FRAMES
            .try_with(|frames| fill(raw, &mut visits, count, &mut frames.borrow_mut(), listing));
        if listed.is_err() {
            // The thread is exiting: a stack of its own.
            fill(raw, &mut visits, count, &mut Vec::new(), listing);
        }
        Flat {
            visits,
            tree: raw.tree,
            _tree: PhantomData,
        }
    }

    /// How many nodes the list holds (the root included).
    #[inline]
    pub fn len(&self) -> usize {
        self.visits.len()
    }

    /// Whether the list is empty (it never is: the pass writes its root).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.visits.is_empty()
    }

    /// The node at `index` of the list.
    #[inline]
    pub fn node(&self, index: usize) -> Node<'t> {
        let v = &self.visits[index];
        let raw = TSNode {
            context: [
                v.start_byte,
                v.start_row,
                v.start_column,
                u32::from(v.alias),
            ],
            id: v.id,
            tree: self.tree,
        };
        // SAFETY: the fields are those tree-sitter builds a node from, read
        // from the tree that `'t` borrows.
        unsafe { Node::from_raw(raw) }
    }

    /// The kind id of the node at `index`, as [`Node::kind_id`] gives.
    #[inline]
    pub fn kind_id(&self, index: usize) -> u16 {
        self.visits[index].symbol
    }

    /// How many levels below the list's root the node at `index` is.
    #[inline]
    pub fn depth(&self, index: usize) -> usize {
        self.visits[index].depth as usize
    }

    /// The field id of the node at `index` in its parent, in a list of
    /// [`Flat::children`].
    #[inline]
    pub fn field(&self, index: usize) -> Option<std::num::NonZeroU16> {
        std::num::NonZeroU16::new(self.visits[index].field)
    }

    /// The index just past the last descendant of the node at `index`.
    #[inline]
    pub fn end(&self, index: usize) -> usize {
        self.visits[index].end as usize
    }
}

impl Drop for Flat<'_> {
    fn drop(&mut self) {
        let visits = std::mem::take(&mut self.visits);
        let _ = SPARE.try_with(|s| s.borrow_mut().give(visits));
    }
}

/// Children a node may have for them to be listed; a node with more (a
/// long literal array, say) is stepped with a cursor instead, so its walk
/// costs no list as long as the node is wide.
const LISTED_CHILDREN: usize = 4096;

/// The children of a node in order, each with its kind id and field id.
pub struct Children<'t> {
    inner: ChildSource<'t>,
}

enum ChildSource<'t> {
    /// Listed by the pass (the parent first), with the next index.
    Listed(Flat<'t>, usize),
    /// Stepped with a cursor; whether it has moved to the first child.
    Stepped(TreeCursor<'t>, bool),
}

impl<'t> Children<'t> {
    /// The children of `parent`.
    pub fn of(parent: Node<'t>) -> Children<'t> {
        let inner = if parent.child_count() as usize <= LISTED_CHILDREN {
            ChildSource::Listed(Flat::children(parent), 1)
        } else {
            ChildSource::Stepped(parent.walk(), false)
        };
        Children { inner }
    }
}

impl<'t> Iterator for Children<'t> {
    type Item = (Node<'t>, u16, Option<std::num::NonZeroU16>);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            ChildSource::Listed(nodes, next) => {
                let i = *next;
                (i < nodes.len()).then(|| {
                    *next += 1;
                    (nodes.node(i), nodes.kind_id(i), nodes.field(i))
                })
            }
            ChildSource::Stepped(cursor, started) => {
                let moved = if *started {
                    cursor.goto_next_sibling()
                } else {
                    *started = true;
                    cursor.goto_first_child()
                };
                moved.then(|| {
                    let node = cursor.node();
                    (node, node.kind_id(), cursor.field_id())
                })
            }
        }
    }
}

/// A thread's lists kept for reuse.
struct Spare {
    small: Vec<Vec<Visit>>,
    large: Vec<Visit>,
}

impl Spare {
    /// A list with room for `count` visits, if one is kept.
    fn take(&mut self, count: usize) -> Vec<Visit> {
        if count > KEEP_SMALL {
            return std::mem::take(&mut self.large);
        }
        self.small.pop().unwrap_or_default()
    }

    /// Keeps `visits` for a later list, or frees it.
    fn give(&mut self, visits: Vec<Visit>) {
        let room = visits.capacity();
        if room == 0 {
            return;
        }
        if room <= KEEP_SMALL {
            if self.small.len() < SMALL_LISTS {
                self.small.push(visits);
            }
        } else if room <= KEEP_LARGE && room > self.large.capacity() {
            self.large = visits;
        }
    }
}

/// What a list holds.
#[derive(Clone, Copy)]
enum Listing<'k> {
    /// A subtree, entering the nodes of the kinds given (all with `None`),
    /// with or without its anonymous leaves.
    Subtree {
        enter: Option<&'k KindSet>,
        anonymous_leaves: bool,
    },
    /// A node's children, with their fields.
    Children,
}

/// Runs the pass from `raw` into `visits`, with room for `count` nodes at
/// first and `frames` as its stack; grows either when the pass asks.
fn fill(
    raw: TSNode,
    visits: &mut Vec<Visit>,
    count: usize,
    frames: &mut Vec<u64>,
    listing: Listing<'_>,
) {
    // No words: no set, every node entered; an empty set is one zero word.
    let (children_only, enter, anonymous_leaves) = match listing {
        Listing::Children => (true, &[][..], true),
        Listing::Subtree {
            enter,
            anonymous_leaves,
        } => {
            let words = match enter {
                None => &[][..],
                Some(set) if set.words().is_empty() => &[0u64][..],
                Some(set) => set.words(),
            };
            (false, words, anonymous_leaves)
        }
    };
    if frames.len() < FIRST_FRAME_WORDS {
        frames.resize(FIRST_FRAME_WORDS, 0);
    }
    // SAFETY: returns a constant.
    let frame_bytes = unsafe { backlint_flatten_frame_size() }.max(1);
    let mut capacity = count.max(1);
    loop {
        visits.reserve(capacity);
        let out_capacity = u32::try_from(visits.capacity()).unwrap_or(u32::MAX);
        let frame_capacity = u32::try_from(frames.len() * 8 / frame_bytes).unwrap_or(u32::MAX);
        // SAFETY: `raw` is a node of a live tree (the caller's `root`
        // borrows it); the pass writes at most `out_capacity` visits and
        // `frame_capacity` levels, into buffers that hold them (the levels
        // sized by the C struct); the visits' layout is checked against
        // C's in the tests.
        let written = unsafe {
            backlint_flatten(
                raw,
                visits.as_mut_ptr(),
                out_capacity,
                frames.as_mut_ptr(),
                frame_capacity,
                u32::from(children_only),
                enter.as_ptr(),
                u32::try_from(enter.len()).unwrap_or(u32::MAX),
                u32::from(!anonymous_leaves),
            )
        };
        match written {
            -1 => {
                let len = frames.len();
                frames.resize(len * 2, 0);
            }
            -2 => capacity = visits.capacity() * 2,
            n => {
                let n = usize::try_from(n).unwrap_or(0).min(visits.capacity());
                // SAFETY: the pass initialised the first `n` visits.
                unsafe { visits.set_len(n) };
                return;
            }
        }
    }
}

/// Whether [`Visit`] has the layout of the C struct it mirrors.
pub fn layout_matches() -> bool {
    // SAFETY: returns a constant.
    let visit = unsafe { backlint_flatten_visit_size() };
    visit == std::mem::size_of::<Visit>()
}

#[cfg(test)]
mod tests {
    use super::{fill, Flat};
    use crate::engine::parse;
    use crate::lang::Lang;

    #[test]
    fn a_list_started_too_small_grows_to_every_node() {
        let text = "def f(a):\n    return [g(x, a) for x in a if x]\n".repeat(20);
        let tree = parse(Lang::Python, &text).expect("parsed");
        let root = tree.root_node();
        let (mut visits, mut frames) = (Vec::new(), Vec::new());
        fill(
            root.into_raw(),
            &mut visits,
            1,
            &mut frames,
            super::Listing::Subtree {
                enter: None,
                anonymous_leaves: true,
            },
        );
        assert_eq!(visits.len(), root.descendant_count());
        let whole = Flat::of(root, None, true);
        let ids: Vec<_> = visits.iter().map(|v| v.id).collect();
        let expected: Vec<_> = (0..whole.len()).map(|i| whole.visits[i].id).collect();
        assert_eq!(ids, expected);
    }
}
