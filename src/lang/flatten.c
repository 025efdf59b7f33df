// Lists the nodes of a syntax subtree in pre-order, as a tree cursor would
// visit them, in one pass over tree-sitter's own child arrays.
//
// A tree cursor re-derives its place at every step: a step to a next
// sibling pops its entry, rebuilds the parent's child iterator, and climbs
// out of and back into the hidden repetition nodes that hold a grammar's
// lists, which on Python costs about 600 instructions per node. This pass
// keeps each level's iterator on a stack instead, so a node costs one
// visit. It is compiled against the headers of the tree-sitter sources
// the crate builds, so the layouts it reads are the ones in the library.

#include "tree_sitter/api.h"
#include "subtree.h"
#include "language.h"
#include "tree.h"

// One visible node (mirrored by `Visit` in src/lang/flatten.rs).
typedef struct {
  const Subtree *id;
  uint32_t start_byte;
  uint32_t start_row;
  uint32_t start_column;
  uint16_t alias;
  // The node's field in its visible parent (children lists only).
  uint16_t field;
  // The node's kind id: its public symbol, as `ts_node_symbol` gives.
  uint16_t symbol;
  uint16_t reserved;
  uint32_t depth;
  // Index just past the node's last descendant in the list.
  uint32_t end;
} BacklintVisit;

// One level of the pass: the children of a visible or hidden node.
typedef struct {
  const Subtree *children;
  const TSSymbol *alias_sequence;
  Length position;
  uint32_t child_count;
  uint32_t child_index;
  uint32_t structural_child_index;
  uint16_t production_id;
  // Whether this level is its owner's own (the owner's end is set when the
  // level is done) rather than a hidden node's inside it.
  uint16_t closes_owner;
  // The visible node the level's nodes belong to, and their depth.
  uint32_t owner;
  uint32_t depth;
  // For a hidden node's level: the node's place among its parent's
  // children that count for fields, and whether it is an extra.
  uint32_t own_structural_index;
  uint32_t own_extra;
} BacklintFrame;

static inline BacklintFrame backlint_level(
  const TSLanguage *language,
  Subtree parent,
  Length position,
  uint32_t owner,
  bool closes_owner,
  uint32_t depth,
  uint32_t own_structural_index,
  bool own_extra
) {
  uint16_t production_id = parent.ptr->production_id;
  return (BacklintFrame) {
    .children = ts_subtree_children(parent),
    .alias_sequence = ts_language_alias_sequence(language, production_id),
    .position = position,
    .child_count = parent.ptr->child_count,
    .child_index = 0,
    .structural_child_index = 0,
    .production_id = production_id,
    .closes_owner = closes_owner,
    .owner = owner,
    .depth = depth,
    .own_structural_index = own_structural_index,
    .own_extra = own_extra,
  };
}

// The field of the node at structural index `index` of `level`, looked up
// as tree-sitter's cursor does: in the field map of its parent, then, while
// the parent is hidden, in the grandparent's for the parent's place, up to
// the first visible ancestor. `saved` levels lie above `level`.
static TSFieldId backlint_field(
  const TSLanguage *language,
  const BacklintFrame *frames,
  uint32_t saved,
  const BacklintFrame *level,
  uint32_t index
) {
  if (language->field_count == 0) return 0;
  for (;;) {
    const TSFieldMapEntry *map, *map_end;
    ts_language_field_map(language, level->production_id, &map, &map_end);
    for (; map < map_end; map++) {
      if (!map->inherited && map->child_index == index) return map->field_id;
    }
    if (saved == 0 || level->own_extra) return 0;
    index = level->own_structural_index;
    level = &frames[--saved];
  }
}

// The public symbol of a node of `symbol` or, when non-zero, `alias`.
static inline TSSymbol backlint_kind(const TSLanguage *language, TSSymbol symbol, TSSymbol alias) {
  if (alias) symbol = alias;
  return symbol == ts_builtin_sym_error ? symbol : language->public_symbol_map[symbol];
}

// Whether the children of a node of kind `kind` are listed: always with no
// set of kinds (`enter_words` 0), else when the kind is in the set or the
// subtree holds a syntax error (as `ts_node_has_error`).
static inline bool backlint_enters(
  const uint64_t *enter_kinds,
  uint32_t enter_words,
  TSSymbol kind,
  Subtree subtree
) {
  if (enter_words == 0) return true;
  if ((uint32_t)(kind >> 6) < enter_words && (enter_kinds[kind >> 6] >> (kind & 63)) & 1) return true;
  return ts_subtree_error_cost(subtree) > 0;
}

// Writes the visible nodes of `root`'s subtree (itself first) to `out`,
// not listing the children of nodes `backlint_enters` refuses, nor, with
// `skip_anonymous_leaves`, the anonymous nodes without children
// (punctuation, keywords); with `children_only`, `root` and its visible
// children with their fields instead. Returns how many nodes it wrote, or
// -1 when `frames` was too small (call again with more), or -2 when `out`
// was.
int64_t backlint_flatten(
  TSNode root,
  BacklintVisit *restrict out,
  uint32_t out_capacity,
  BacklintFrame *restrict frames,
  uint32_t frame_capacity,
  uint32_t children_only,
  const uint64_t *enter_kinds,
  uint32_t enter_words,
  uint32_t skip_anonymous_leaves
) {
  if (out_capacity == 0) return -2;
  const TSLanguage *language = root.tree->language;
  const Subtree *root_subtree = (const Subtree *)root.id;
  Length root_position = {root.context[0], {root.context[1], root.context[2]}};

  uint32_t count = 0;
  TSSymbol root_kind = backlint_kind(language, ts_subtree_symbol(*root_subtree), (TSSymbol)root.context[3]);
  out[count++] = (BacklintVisit) {
    .id = root_subtree,
    .start_byte = root.context[0],
    .start_row = root.context[1],
    .start_column = root.context[2],
    .alias = (uint16_t)root.context[3],
    .field = 0,
    .symbol = root_kind,
    .reserved = 0,
    .depth = 0,
    .end = 1,
  };
  if (ts_subtree_child_count(*root_subtree) == 0) return count;
  if (!backlint_enters(enter_kinds, enter_words, root_kind, *root_subtree)) return count;

  // The level being iterated is `frames[top]`, the levels above it
  // `frames[0..top]`; a level is written once, where it stays, rather than
  // copied in and out of a local at every push and pop.
  if (frame_capacity == 0) return -1;
  uint32_t top = 0;
  frames[0] = backlint_level(language, *root_subtree, root_position, 0, true, 1, 0, false);
  BacklintFrame *level = &frames[0];
  for (;;) {
    if (level->child_index == level->child_count) {
      if (level->closes_owner) out[level->owner].end = count;
      if (top == 0) break;
      level = &frames[--top];
      continue;
    }
    const Subtree *child = &level->children[level->child_index];
    Length position = level->position;

    TSSymbol alias = 0;
    uint32_t structural_index = level->structural_child_index;
    bool extra = ts_subtree_extra(*child);
    if (!extra) {
      if (level->alias_sequence) alias = level->alias_sequence[structural_index];
      level->structural_child_index++;
    }
    bool visible = ts_subtree_visible(*child) || alias != 0;

    level->position = length_add(position, ts_subtree_size(*child));
    level->child_index++;
    if (level->child_index < level->child_count) {
      level->position = length_add(level->position, ts_subtree_padding(child[1]));
    }

    if (
      visible &&
      skip_anonymous_leaves &&
      ts_subtree_visible_child_count(*child) == 0 &&
      !(alias ? ts_language_symbol_metadata(language, alias).named : ts_subtree_named(*child))
    ) {
      continue;
    }
    if (visible) {
      if (count == out_capacity) return -2;
      uint32_t index = count++;
      TSSymbol kind = backlint_kind(language, ts_subtree_symbol(*child), alias);
      out[index] = (BacklintVisit) {
        .id = child,
        .start_byte = position.bytes,
        .start_row = position.extent.row,
        .start_column = position.extent.column,
        .alias = alias,
        .field = children_only && !extra
          ? backlint_field(language, frames, top, level, structural_index)
          : 0,
        .symbol = kind,
        .reserved = 0,
        .depth = level->depth,
        .end = count,
      };
      if (
        !children_only &&
        ts_subtree_visible_child_count(*child) > 0 &&
        backlint_enters(enter_kinds, enter_words, kind, *child)
      ) {
        if (top + 1 == frame_capacity) return -1;
        uint32_t depth = level->depth + 1;
        level = &frames[++top];
        *level = backlint_level(language, *child, position, index, true, depth, structural_index, extra);
      }
    } else if (ts_subtree_visible_child_count(*child) > 0) {
      if (top + 1 == frame_capacity) return -1;
      uint32_t owner = level->owner, depth = level->depth;
      level = &frames[++top];
      *level = backlint_level(language, *child, position, owner, false, depth, structural_index, extra);
    }
  }
  return count;
}

// Sizes the Rust side checks its mirrors against.
size_t backlint_flatten_visit_size(void) { return sizeof(BacklintVisit); }
size_t backlint_flatten_frame_size(void) { return sizeof(BacklintFrame); }
