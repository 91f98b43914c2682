/**
 * The pre-order walk of a syntax tree read straight from the WebAssembly heap: tree-sitter's own
 * structs (Subtree, SubtreeHeapData, TSLanguage) read with typed arrays, no wasm call per node.
 *
 * Why: the cursor walk (flat-tree.ts) makes about six wasm calls per node, each re-reading the cursor
 * from the transfer buffer and walking its stack; on a kernel tree that was an eighth of kport's time,
 * as much as all the rules. This walk does what tree_cursor.c's goto_first_child / goto_next_sibling /
 * current_node / current_field_id do, in JavaScript, and reports the same nodes, types, fields and
 * spans.
 *
 * It depends on the memory layout of the tree-sitter runtime that web-tree-sitter is built from
 * (lib/subtree.h, tree_sitter/parser.h, wasm32, little-endian). `heapTables()` checks the language
 * struct against the runtime's exported accessors, and CParser checks this walk against the cursor
 * walk on a sample before it is used; if either check fails, the cursor walk is used.
 */

/** The heap views of the Emscripten module (replaced when the memory grows: read them per walk). */
export interface HeapViews {
  HEAPU8: Uint8Array;
  HEAPU16: Uint16Array;
  HEAPU32: Uint32Array;
}

/** What the walk needs of a language, copied out of its TSLanguage struct once. */
export interface HeapTables {
  /** Internal symbol → the public symbol a node reports (ts_language_public_symbol). */
  publicSymbol: Uint16Array;
  /** alias_sequences, production_id * maxAliasLength + structural child index → alias or 0. */
  aliases: Uint16Array;
  maxAliasLength: number;
  /** production_id * 256 + structural child index → its (non-inherited) field id, or 0. */
  fields: Uint16Array;
}

/** The runtime's language accessors heapTables() checks the struct against. */
export interface LanguageAccessors {
  _ts_language_abi_version(language: number): number;
  _ts_language_symbol_count(language: number): number;
  _ts_language_field_count(language: number): number;
}

// Offsets in struct TSLanguage (tree_sitter/parser.h, ABI 14 and 15, wasm32: 4-byte pointers).
const LANG_ABI = 0;
const LANG_SYMBOL_COUNT = 4;
const LANG_ALIAS_COUNT = 8;
const LANG_PRODUCTION_ID_COUNT = 28;
const LANG_FIELD_COUNT = 32;
const LANG_MAX_ALIAS_SEQUENCE_LENGTH = 36;
const LANG_FIELD_MAP_SLICES = 64;
const LANG_FIELD_MAP_ENTRIES = 68;
const LANG_PUBLIC_SYMBOL_MAP = 76;
const LANG_ALIAS_SEQUENCES = 84;

// Offsets in SubtreeHeapData (lib/subtree.h).
const HEAP_PADDING_BYTES = 4;
const HEAP_SIZE_BYTES = 16;
const HEAP_CHILD_COUNT = 36;
const HEAP_SYMBOL = 40;
const HEAP_FLAGS = 44; // visible: bit 0, named: bit 1, extra: bit 2
const HEAP_VISIBLE_CHILD_COUNT = 48;
const HEAP_PRODUCTION_ID = 66;
// SubtreeInlineData, little-endian: byte 0 is_inline (bit 0), visible (bit 1), extra (bit 3);
// byte 1 symbol; byte 6 padding_bytes; byte 7 size_bytes.
const SUBTREE_SIZE = 8;

const ERROR_SYMBOL = 0xffff;

/** The language's tables, or null when its struct is not the layout this walk was written for. */
export function heapTables(heap: HeapViews, runtime: LanguageAccessors, language: number): HeapTables | null {
  const u32 = (offset: number) => heap.HEAPU32[(language + offset) >> 2];
  const abi = u32(LANG_ABI);
  if ((abi !== 14 && abi !== 15) || abi !== runtime._ts_language_abi_version(language)) return null;
  // Aliases are numbered after the grammar's symbols; the runtime counts both.
  const symbolCount = u32(LANG_SYMBOL_COUNT) + u32(LANG_ALIAS_COUNT);
  const fieldCount = u32(LANG_FIELD_COUNT);
  if (symbolCount !== runtime._ts_language_symbol_count(language) || fieldCount !== runtime._ts_language_field_count(language)) return null;
  const productionCount = u32(LANG_PRODUCTION_ID_COUNT);
  const maxAliasLength = heap.HEAPU16[(language + LANG_MAX_ALIAS_SEQUENCE_LENGTH) >> 1];
  if (productionCount > 0xffff || maxAliasLength > 255) return null;
  const copy16 = (address: number, count: number) => new Uint16Array(heap.HEAPU16.slice(address >> 1, (address >> 1) + count));
  const publicSymbol = copy16(u32(LANG_PUBLIC_SYMBOL_MAP), symbolCount);
  const aliasAddress = u32(LANG_ALIAS_SEQUENCES);
  const aliases = aliasAddress ? copy16(aliasAddress, productionCount * maxAliasLength) : new Uint16Array(productionCount * maxAliasLength);
  const fields = new Uint16Array(productionCount * 256);
  const slices = u32(LANG_FIELD_MAP_SLICES);
  const entries = u32(LANG_FIELD_MAP_ENTRIES);
  if (fieldCount > 0 && slices && entries) {
    for (let production = 0; production < productionCount; production++) {
      // TSMapSlice { uint16 index, length }; TSFieldMapEntry { uint16 field_id; uint8 child_index; bool inherited }.
      const index = heap.HEAPU16[(slices + production * 4) >> 1];
      const length = heap.HEAPU16[(slices + production * 4 + 2) >> 1];
      for (let e = entries + index * 4, end = e + length * 4; e < end; e += 4) {
        const field = heap.HEAPU16[e >> 1];
        const child = heap.HEAPU8[e + 2];
        const inherited = heap.HEAPU8[e + 3] !== 0;
        // The first matching entry wins, as in ts_tree_cursor_current_field_id.
        if (!inherited && fields[production * 256 + child] === 0) fields[production * 256 + child] = field;
      }
    }
  }
  return { publicSymbol, aliases, maxAliasLength, fields };
}

/** Receives each visible node in pre-order; returns the index its children name as their parent. */
export type NodeSink = (parent: number, typeId: number, fieldId: number, start: number, end: number) => number;

// One frame per node whose children are being visited (visible or hidden), 8 ints each: the nodes
// above the current one.
const F_CHILDREN = 0; // address of the children array
const F_COUNT = 1;
const F_INDEX = 2; // next child
const F_STRUCTURAL = 3; // structural index of the next child (extras are not counted)
const F_POSITION = 4; // byte where the next child starts (after its padding)
const F_PRODUCTION = 5;
const F_PARENT = 6; // sink index of the nearest visible ancestor
const F_UP_FIELD = 7; // for a hidden node: the field its visible children inherit, or 0
const FRAME = 8;
let frames = new Int32Array(64 * FRAME);

/**
 * Walks the subtree at `subtree` (a TSNode's id: the address of its Subtree) whose start is
 * `startUnit` (UTF-16 code units, as web-tree-sitter's startIndex) and whose alias is `rootAlias`.
 * Positions are reported in code units (the parse is UTF-16: two bytes a unit).
 */
export function heapWalk(heap: HeapViews, tables: HeapTables, subtree: number, startUnit: number, rootAlias: number, sink: NodeSink): void {
  const u8 = heap.HEAPU8;
  const u16 = heap.HEAPU16;
  const u32 = heap.HEAPU32;
  const { publicSymbol, aliases, maxAliasLength, fields } = tables;

  // The root (the cursor's stack[0]): its alias comes from the node, and an extra has none.
  const startByte = startUnit * 2;
  let rootPtr = 0;
  let rootSymbol: number, rootSize: number, rootExtra: boolean;
  if (u8[subtree] & 1) {
    rootSymbol = u8[subtree + 1];
    rootSize = u8[subtree + 7];
    rootExtra = (u8[subtree] & 8) !== 0;
  } else {
    rootPtr = u32[subtree >> 2];
    rootSymbol = u16[(rootPtr + HEAP_SYMBOL) >> 1];
    rootSize = u32[(rootPtr + HEAP_SIZE_BYTES) >> 2];
    rootExtra = (u8[rootPtr + HEAP_FLAGS] & 4) !== 0;
  }
  const alias = rootExtra ? 0 : rootAlias;
  const rootType = alias || rootSymbol;
  const root = sink(-1, rootType === ERROR_SYMBOL ? rootType : publicSymbol[rootType], 0, startUnit, (startByte + rootSize) >> 1);
  if (!rootPtr) return;
  const rootChildren = u32[(rootPtr + HEAP_CHILD_COUNT) >> 2];
  if (rootChildren === 0) return;

  // The frame being visited lives in locals; the ones above it are saved in `frames`.
  let children = rootPtr - rootChildren * SUBTREE_SIZE;
  let count = rootChildren;
  let index = 0;
  let structural = 0;
  let position = startByte;
  let production = u16[(rootPtr + HEAP_PRODUCTION_ID) >> 1];
  let parent = root;
  let upField = 0;
  let saved = frames;
  let sp = 0;
  for (;;) {
    if (index === count) {
      if (sp === 0) return;
      const f = --sp * FRAME;
      children = saved[f + F_CHILDREN];
      count = saved[f + F_COUNT];
      index = saved[f + F_INDEX];
      structural = saved[f + F_STRUCTURAL];
      position = saved[f + F_POSITION];
      production = saved[f + F_PRODUCTION];
      parent = saved[f + F_PARENT];
      upField = saved[f + F_UP_FIELD];
      continue;
    }
    const child = children + index * SUBTREE_SIZE;
    let ptr = 0;
    let symbol: number, size: number, visible: boolean, extra: boolean, childCount: number;
    const b0 = u8[child];
    if (b0 & 1) {
      symbol = u8[child + 1];
      // The first child's padding is its parent's, already behind the parent's start.
      if (index > 0) position += u8[child + 6];
      size = u8[child + 7];
      visible = (b0 & 2) !== 0;
      extra = (b0 & 8) !== 0;
      childCount = 0;
    } else {
      ptr = u32[child >> 2];
      symbol = u16[(ptr + HEAP_SYMBOL) >> 1];
      if (index > 0) position += u32[(ptr + HEAP_PADDING_BYTES) >> 2];
      size = u32[(ptr + HEAP_SIZE_BYTES) >> 2];
      const flags = u8[ptr + HEAP_FLAGS];
      visible = (flags & 1) !== 0;
      extra = (flags & 4) !== 0;
      childCount = u32[(ptr + HEAP_CHILD_COUNT) >> 2];
    }
    const start = position;
    position += size;
    index++;
    let aliasSymbol = 0;
    let field = 0;
    if (!extra) {
      // (A production's structural children never outnumber the longest production.)
      if (production && structural < maxAliasLength) aliasSymbol = aliases[production * maxAliasLength + structural];
      // Field map entries name child indexes up to 255 (uint8_t).
      field = (structural < 256 ? fields[production * 256 + structural] : 0) || upField;
      structural++;
    }
    let descend: boolean;
    let childParent = parent;
    let childUpField = 0;
    if (visible || aliasSymbol) {
      const type = aliasSymbol || symbol;
      childParent = sink(parent, type === ERROR_SYMBOL ? type : publicSymbol[type], field, start >> 1, (start + size) >> 1);
      descend = childCount > 0;
    } else {
      // A hidden node: its children are its parent's, and take its field when they have none.
      descend = childCount > 0 && u32[(ptr + HEAP_VISIBLE_CHILD_COUNT) >> 2] > 0;
      childUpField = field;
    }
    if (!descend) continue;
    if ((sp + 1) * FRAME > saved.length) {
      const bigger = new Int32Array(saved.length * 2);
      bigger.set(saved);
      frames = saved = bigger;
    }
    const f = sp++ * FRAME;
    saved[f + F_CHILDREN] = children;
    saved[f + F_COUNT] = count;
    saved[f + F_INDEX] = index;
    saved[f + F_STRUCTURAL] = structural;
    saved[f + F_POSITION] = position;
    saved[f + F_PRODUCTION] = production;
    saved[f + F_PARENT] = parent;
    saved[f + F_UP_FIELD] = upField;
    children = ptr - childCount * SUBTREE_SIZE;
    count = childCount;
    index = 0;
    structural = 0;
    position = start;
    production = u16[(ptr + HEAP_PRODUCTION_ID) >> 1];
    parent = childParent;
    upField = childUpField;
  }
}
