/**
 * A subtree copied out of the WebAssembly heap in one cursor walk, read through the few Node members
 * the IR builder uses (type, text, startIndex, endIndex, id, isNamed, children, namedChildren,
 * childForFieldName).
 *
 * Why: web-tree-sitter's Node API costs about 0.6 µs per access (the node is marshalled into a
 * transfer buffer by JavaScript, a wasm call, a new Node object), and building a function's IR asks
 * several per node: on a kernel tree that was as much time as parsing. Here the cursor state stays in
 * web-tree-sitter's transfer buffer between its own exported cursor functions (each reads the cursor
 * from there and writes it back after a move), so a node costs a handful of plain wasm calls and the
 * builder then runs on JavaScript arrays.
 *
 * It relies on web-tree-sitter internals (the `_ts_tree_cursor_*_wasm` exports and `_ts_init()`
 * returning the transfer buffer), checked once at start-up; without them the builder uses real nodes.
 * test/core/flat-tree.test.ts checks that the IR is the same both ways.
 */
import type { Node, TreeCursor } from 'web-tree-sitter';
import { heapTables, heapWalk, type HeapTables, type HeapViews, type LanguageAccessors } from './heap-walk';

/** The Emscripten module's exports this needs (the options object given to Parser.init becomes it). */
export interface CursorExports {
  _ts_init(): number;
  _ts_tree_cursor_goto_first_child_wasm(tree: number): number;
  _ts_tree_cursor_goto_next_sibling_wasm(tree: number): number;
  _ts_tree_cursor_goto_parent_wasm(tree: number): number;
  _ts_tree_cursor_current_node_type_id_wasm(tree: number): number;
  _ts_tree_cursor_current_field_id_wasm(tree: number): number;
  _ts_tree_cursor_start_index_wasm(tree: number): number;
  _ts_tree_cursor_end_index_wasm(tree: number): number;
  _ts_tree_cursor_current_node_is_missing_wasm(tree: number): number;
  /** Writes the cursor's current node into the transfer buffer (over the cursor). */
  _ts_tree_cursor_current_node_wasm(tree: number): void;
  /** Reads a node from the transfer buffer. */
  _ts_node_has_error_wasm(tree: number): number;
  HEAP32: Int32Array;
}

const NEEDED = [
  '_ts_init',
  '_ts_tree_cursor_goto_first_child_wasm',
  '_ts_tree_cursor_goto_next_sibling_wasm',
  '_ts_tree_cursor_goto_parent_wasm',
  '_ts_tree_cursor_current_node_type_id_wasm',
  '_ts_tree_cursor_current_field_id_wasm',
  '_ts_tree_cursor_start_index_wasm',
  '_ts_tree_cursor_end_index_wasm',
  '_ts_tree_cursor_current_node_is_missing_wasm',
  '_ts_tree_cursor_current_node_wasm',
  '_ts_node_has_error_wasm',
];

let cursorExports: CursorExports | null = null;
let transferBuffer = 0;
let heapModule: (HeapViews & LanguageAccessors) | null = null;
/** Per language: the tables of the heap walk, once CParser has checked it on that language. */
const heapWalkTables = new WeakMap<object, HeapTables>();

/** Enables flat copies when the module has what they need; returns whether it did. */
export function enableFlatTrees(module: Record<string, unknown>): boolean {
  if (!NEEDED.every((k) => typeof module[k] === 'function') || !(module.HEAP32 instanceof Int32Array)) return false;
  cursorExports = module as unknown as CursorExports;
  // ts_init() only writes the language versions into the buffer and returns its address.
  transferBuffer = cursorExports._ts_init();
  const accessors = ['_ts_language_abi_version', '_ts_language_symbol_count', '_ts_language_field_count'];
  heapModule =
    accessors.every((k) => typeof module[k] === 'function') && module.HEAPU8 instanceof Uint8Array
      ? (module as unknown as HeapViews & LanguageAccessors)
      : null;
  return true;
}

export function disableFlatTrees(): void {
  cursorExports = null;
}

/**
 * Turns on the heap walk (heap-walk.ts) for the language of `sample`, if the language's struct has
 * the layout it reads and its flat copy of `sample` (a whole parsed file) is the cursor walk's, node
 * for node. Returns whether it did.
 */
export function enableHeapWalk(sample: Node, text: string): boolean {
  const language = (sample.tree as unknown as { language: Names & { 0: number } }).language;
  if (!cursorExports || !heapModule) return false;
  const tables = heapTables(heapModule, heapModule, language[0]);
  if (!tables) return false;
  const viaCursor = flatten(sample, text, 'cursor')!;
  const expected = viaCursor.snapshot();
  release(viaCursor);
  heapWalkTables.set(language, tables);
  const viaHeap = flatten(sample, text, 'heap')!;
  const same = viaHeap.snapshot() === expected;
  release(viaHeap);
  if (!same) heapWalkTables.delete(language);
  return same;
}

/** Node types and field names by id, from the tree's language. */
interface Names {
  types: readonly string[];
  fields: readonly (string | null)[];
  nodeTypeIsNamed(typeId: number): boolean;
}

// Named-ness belongs to the (aliased) symbol the cursor reports: one lookup per type, not per node.
const namedTables = new WeakMap<object, Map<number, boolean>>();
function namedTable(language: Names): Map<number, boolean> {
  let t = namedTables.get(language);
  if (!t) namedTables.set(language, (t = new Map()));
  return t;
}

export class FlatTree {
  /** Node count. */
  size = 0;
  private typeIds = new Uint16Array(256);
  private fieldIds = new Uint16Array(256);
  start = new Int32Array(256);
  end = new Int32Array(256);
  private namedFlags = new Uint8Array(256);
  firstChild = new Int32Array(256);
  nextSibling = new Int32Array(256);
  /** Per node: its last child so far, while the tree is built. */
  private lastChild = new Int32Array(256);
  private nodes: (FlatNode | undefined)[] = [];

  constructor(
    public text: string,
    private names: Names,
  ) {}

  /** Empties the tree for another subtree, keeping its arrays (they are most of a copy's allocation). */
  reset(text: string, names: Names): void {
    this.text = text;
    this.names = names;
    this.nodes.fill(undefined, 0, this.size);
    this.size = 0;
  }

  typeOf(index: number): string {
    return this.names.types[this.typeIds[index]] || 'ERROR';
  }

  fieldOf(index: number): string | null {
    const f = this.fieldIds[index];
    return f ? (this.names.fields[f] ?? null) : null;
  }

  isNamed(index: number): boolean {
    return this.namedFlags[index] === 1;
  }

  node(index: number): FlatNode {
    let n = this.nodes[index];
    if (!n) {
      n = new FlatNode(this, index);
      this.nodes[index] = n;
    }
    return n;
  }

  /** Adds a node as the next child of `parent` (or the root when -1). */
  add(parent: number, typeId: number, fieldId: number, start: number, end: number, named: boolean): number {
    const i = this.size++;
    if (i === this.typeIds.length) this.grow();
    this.typeIds[i] = typeId;
    this.fieldIds[i] = fieldId;
    this.start[i] = start;
    this.end[i] = end;
    this.namedFlags[i] = named ? 1 : 0;
    this.firstChild[i] = -1;
    this.nextSibling[i] = -1;
    this.lastChild[i] = -1;
    if (parent >= 0) {
      const prev = this.lastChild[parent];
      if (prev < 0) this.firstChild[parent] = i;
      else this.nextSibling[prev] = i;
      this.lastChild[parent] = i;
    }
    return i;
  }

  /** Every node's type, field, span and parent, as text: for comparing two copies of a tree. */
  snapshot(): string {
    const parent = new Int32Array(this.size).fill(-1);
    for (let i = 0; i < this.size; i++) for (let c = this.firstChild[i]; c >= 0; c = this.nextSibling[c]) parent[c] = i;
    const rows: string[] = [];
    for (let i = 0; i < this.size; i++) rows.push(`${this.typeIds[i]} ${this.fieldIds[i]} ${this.start[i]} ${this.end[i]} ${this.namedFlags[i]} ${parent[i]}`);
    return rows.join('\n');
  }

  /** Done adding: room for the node objects made on demand. */
  seal(): void {
    if (this.nodes.length < this.size) this.nodes.length = this.size;
  }

  private grow(): void {
    const n = this.typeIds.length * 2;
    const more = <T extends Uint16Array | Int32Array | Uint8Array>(a: T, make: new (n: number) => T): T => {
      const b = new make(n);
      b.set(a);
      return b;
    };
    this.typeIds = more(this.typeIds, Uint16Array);
    this.fieldIds = more(this.fieldIds, Uint16Array);
    this.start = more(this.start, Int32Array);
    this.end = more(this.end, Int32Array);
    this.namedFlags = more(this.namedFlags, Uint8Array);
    this.firstChild = more(this.firstChild, Int32Array);
    this.nextSibling = more(this.nextSibling, Int32Array);
    this.lastChild = more(this.lastChild, Int32Array);
  }
}

/** A node of a FlatTree, with the Node members the IR builder reads. */
export class FlatNode {
  constructor(
    private readonly tree: FlatTree,
    readonly id: number,
  ) {}

  get type(): string {
    return this.tree.typeOf(this.id);
  }

  get startIndex(): number {
    return this.tree.start[this.id];
  }

  get endIndex(): number {
    return this.tree.end[this.id];
  }

  get isNamed(): boolean {
    return this.tree.isNamed(this.id);
  }

  get text(): string {
    return this.tree.text.slice(this.tree.start[this.id], this.tree.end[this.id]);
  }

  get children(): FlatNode[] {
    const out: FlatNode[] = [];
    for (let c = this.tree.firstChild[this.id]; c >= 0; c = this.tree.nextSibling[c]) out.push(this.tree.node(c));
    return out;
  }

  get namedChildren(): FlatNode[] {
    const out: FlatNode[] = [];
    for (let c = this.tree.firstChild[this.id]; c >= 0; c = this.tree.nextSibling[c]) if (this.tree.isNamed(c)) out.push(this.tree.node(c));
    return out;
  }

  childForFieldName(name: string): FlatNode | null {
    for (let c = this.tree.firstChild[this.id]; c >= 0; c = this.tree.nextSibling[c]) if (this.tree.fieldOf(c) === name) return this.tree.node(c);
    return null;
  }
}

/**
 * Pre-order walk of the subtree under `node` through the cursor exports: `visit(depth)` is called at
 * each node (the cursor on it) and returns whether to descend into its children.
 */
function walkRaw(node: Node, visit: (m: CursorExports, tree: number, depth: number) => boolean): void {
  const m = cursorExports!;
  const tree = (node.tree as unknown as { 0: number })[0];
  // walk() marshals the node, creates the cursor in the transfer buffer and copies it into the JS
  // cursor; from here on only the exports touch the buffer.
  const cursor: TreeCursor = node.walk();
  try {
    let depth = 0;
    for (;;) {
      if (visit(m, tree, depth) && m._ts_tree_cursor_goto_first_child_wasm(tree) === 1) {
        depth++;
        continue;
      }
      while (depth > 0 && m._ts_tree_cursor_goto_next_sibling_wasm(tree) !== 1) {
        m._ts_tree_cursor_goto_parent_wasm(tree);
        depth--;
      }
      if (depth === 0) break;
    }
  } finally {
    // Hand the cursor's current state back to the JS object so that delete() frees what is allocated.
    const handles = (cursor as unknown as { handles: number[] }).handles;
    const heap = m.HEAP32;
    for (let i = 0; i < 4; i++) handles[i] = heap[(transferBuffer >> 2) + i];
    cursor.delete();
  }
}

let spare: FlatTree | null = null;

/**
 * The subtree under `node` as a FlatTree (its root is node(0)), or null when flat copies are off.
 * `text` is the text the tree was parsed from (Node.text slices the same). The tree is lent: hand it
 * back with `release()` once read, and the next copy reuses its arrays.
 */
export function flatten(node: Node, text: string, walk?: 'heap' | 'cursor'): FlatTree | null {
  if (!cursorExports) return null;
  const language = (node.tree as unknown as { language: Names }).language;
  const namedByType = namedTable(language);
  // Named-ness belongs to the (aliased) type: one lookup per type, not per node.
  const isNamed = (typeId: number) => {
    let named = namedByType.get(typeId);
    if (named === undefined) namedByType.set(typeId, (named = language.nodeTypeIsNamed(typeId)));
    return named;
  };
  let flat: FlatTree;
  if (spare) {
    flat = spare;
    spare = null;
    flat.reset(text, language);
  } else flat = new FlatTree(text, language);
  const tables = walk === 'cursor' ? undefined : heapWalkTables.get(language);
  if (tables && heapModule) {
    const internal = node as unknown as { id: number; 0: number };
    heapWalk(heapModule, tables, internal.id, node.startIndex, internal[0], (parent, typeId, fieldId, start, end) => {
      return flat.add(parent, typeId, fieldId, start, end, isNamed(typeId));
    });
    flat.seal();
    return flat;
  }
  if (walk === 'heap') throw new Error('the heap walk is not enabled for this language');
  const parents: number[] = [-1];
  walkRaw(node, (m, tree, depth) => {
    const typeId = m._ts_tree_cursor_current_node_type_id_wasm(tree);
    parents[depth + 1] = flat.add(
      parents[depth],
      typeId,
      depth === 0 ? 0 : m._ts_tree_cursor_current_field_id_wasm(tree),
      m._ts_tree_cursor_start_index_wasm(tree),
      m._ts_tree_cursor_end_index_wasm(tree),
      isNamed(typeId),
    );
    return true;
  });
  flat.seal();
  return flat;
}

/** Gives a tree from flatten() back for reuse; neither it nor its nodes may be read afterwards. */
export function release(flat: FlatTree): void {
  spare = flat;
}

/** tree-sitter's ERROR symbol, `(TSSymbol)-1`. */
const ERROR_SYMBOL = 0xffff;

/**
 * ERROR and MISSING nodes under `root`, descending only into subtrees that contain one (as
 * countSyntaxErrors in parser.ts does with Node objects: on a broken 1 MB file that walk made a Node
 * per node and took seconds, mostly garbage collection). Null when flat copies are off.
 */
export function countErrorNodes(root: Node): number | null {
  if (!cursorExports) return null;
  const tb = transferBuffer >> 2;
  let count = 0;
  walkRaw(root, (m, tree) => {
    const missing = m._ts_tree_cursor_current_node_is_missing_wasm(tree) === 1;
    if (missing || m._ts_tree_cursor_current_node_type_id_wasm(tree) === ERROR_SYMBOL) count++;
    if (missing) return true;
    // has_error is a node function: put the current node in the buffer, ask, put the cursor back.
    let heap = m.HEAP32;
    const c0 = heap[tb],
      c1 = heap[tb + 1],
      c2 = heap[tb + 2],
      c3 = heap[tb + 3];
    m._ts_tree_cursor_current_node_wasm(tree);
    const hasError = m._ts_node_has_error_wasm(tree) === 1;
    heap = m.HEAP32; // a wasm call may have grown the memory (new view)
    heap[tb] = c0;
    heap[tb + 1] = c1;
    heap[tb + 2] = c2;
    heap[tb + 3] = c3;
    return hasError;
  });
  return count;
}
