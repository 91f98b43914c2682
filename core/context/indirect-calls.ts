/**
 * Calls through function pointers in struct fields (`ops->open(dev)`, `lp->hw->reset(lp)`): which functions
 * they can reach (the functions stored in that field by initializers and assignments, in this file and in the
 * workspace's summaries) and whether each of them sleeps. Two verdicts come of it (`indirectVerdict`): the call
 * must sleep when every function it can reach does and the functions seen are all of them (sleep-in-atomic);
 * it may sleep when some of them do (may-sleep-in-atomic-indirect).
 */
import type { FieldBinding } from '../facts/field-bindings';
import { structTypeKey } from '../facts/field-bindings';
import type { FileFacts } from '../facts/file-facts';
import type { CallEvent, FunctionFacts } from '../facts/ir';
import { decodeGfp } from '../gfp/flags';
import { evaluateMask, type HeaderDefine } from '../gfp/mask';
import { ALLOC_API } from '../kernel/alloc-api';
import { SLEEPING_APIS, sleepingApiAt } from '../kernel/sleeping-apis';
import type { FunctionFlow } from './flow';
import { sleepsText, type SummaryBinding, type WorkspaceIndex } from './workspace';

/** How a function sleeps when called: the route from it to the call that sleeps (`kmalloc(GFP_KERNEL)`, `foo_alloc() → vmalloc()`). */
export interface SleepRoute {
  route: string;
  /** The function's 1-based line. */
  line: number;
}

/**
 * The functions of a file that sleep when called, whatever their caller's context and arguments: each makes,
 * in a statement of its body outside any if, loop or switch (a dispatcher that allocates for one command of
 * many does not count), in its own process context (no lock of its own held, no `in_interrupt()` guard, no
 * unlock of a caller's lock before), an allocation whose mask may sleep on every value, a call of a
 * SLEEPING_APIS function, or a call of another such function of this file. The first such call is the route.
 */
export function sleepingFunctions(
  facts: FileFacts,
  flows: readonly FunctionFlow[],
  headerDefine?: (name: string) => HeaderDefine | undefined,
): Map<string, SleepRoute> {
  const out = new Map<string, SleepRoute>();
  const direct = (fn: FunctionFacts, call: CallEvent): string | null => {
    const api = Object.hasOwn(ALLOC_API, call.name) ? ALLOC_API[call.name] : undefined;
    if (api) {
      if (api.alwaysSleeps) return `${call.name}()`;
      const arg = api.maskArg >= 0 ? call.args[api.maskArg] : undefined;
      if (!arg) return null;
      const mask = evaluateMask(arg, { facts, fn, at: call.span.start, headerDefine });
      return !mask.unknown && mask.values.length > 0 && mask.values.every((v) => decodeGfp(v).canSleep)
        ? `${call.name}(${facts.text.slice(arg.span.start, arg.span.end)})`
        : null;
    }
    return Object.hasOwn(SLEEPING_APIS, call.name) && sleepingApiAt(call.name, facts.path, facts.includes) ? `${call.name}()` : null;
  };
  const clean = flows.map((flow) => {
    const fn = flow.fn;
    // Statements of the body itself, outside any if, loop or switch (only an early return skips them).
    const top =
      fn.body.k === 'block'
        ? fn.body.body.filter((st) => (st.k === 'expr' || st.k === 'return') && (!fn.recovered || st.span.end <= fn.recovered.intactUntil))
        : [];
    return flow.sites.filter(
      (s) =>
        !s.state.held.length &&
        !s.state.guard &&
        !s.state.droppedCallerLock &&
        top.some((st) => st.span.start <= s.call.span.start && s.call.span.end <= st.span.end),
    );
  });
  for (let changed = true, rounds = 0; changed && rounds < 16; rounds++) {
    changed = false;
    flows.forEach((flow, i) => {
      const fn = flow.fn;
      if (out.has(fn.name)) return;
      for (const site of clean[i]) {
        const callee = out.get(site.call.name);
        const route = callee && site.call.name !== fn.name ? `${site.call.name}() → ${callee.route}` : direct(fn, site.call);
        if (route) {
          out.set(fn.name, { route, line: facts.lineOf(fn.nameSpan.start) });
          changed = true;
          return;
        }
      }
    });
  }
  return out;
}

/** The route a sleeping target's text (`foo() (drivers/x.c:12) → kmalloc(GFP_KERNEL)`, written by sleepsText) holds. */
export function sleepingAt(sleeps: string): { file: string; line: number; route: string } | null {
  const m = /^[A-Za-z_]\w*\(\) \((.+):(\d+)\) → (.*)$/s.exec(sleeps);
  return m ? { file: m[1], line: Number(m[2]), route: m[3] } : null;
}

/** A function a call through a pointer can reach, and how it sleeps (null: it does not, or it cannot be read). */
export interface IndirectTarget {
  name: string;
  file: string;
  line: number | null;
  sleeps: string | null;
}

export interface IndirectResolution {
  /** `struct foo_ops.open`, or `.open` when found by the field's name alone. */
  key: string;
  targets: IndirectTarget[];
  /**
   * Why the functions seen may not be all the field can hold (null: they are): "the struct is defined outside
   * the files checked", "a file stores functions in .open in code not parsed", "a positional initializer of
   * struct foo_ops has no known field order".
   */
  incomplete: string | null;
}

/**
 * What a resolved call through a field does: `must` sleep (every function it can reach sleeps, and those seen
 * are all: sleep-in-atomic's error), `may` (some of them sleep: may-sleep-in-atomic-indirect's warning), or null.
 */
export function indirectVerdict(r: IndirectResolution): 'must' | 'may' | null {
  const sleeping = r.targets.filter((t) => t.sleeps).length;
  if (!sleeping) return null;
  return sleeping === r.targets.length && !r.incomplete ? 'must' : 'may';
}

/** The type key of a call's base (`ops` declared `struct foo_ops *`), where the base is a variable. */
function baseType(base: string, fn: FunctionFacts, facts: FileFacts): string | null {
  if (!/^[A-Za-z_]\w*$/.test(base)) return null;
  const declared = fn.locals.find((l) => l.name === base)?.type ?? fn.params.find((p) => p.name === base)?.type ?? facts.globalTypes.get(base);
  return declared ? structTypeKey(declared) : null;
}

/** This file's bindings as the workspace keeps them (positional ones resolved where the struct is defined here). */
export function summaryBindings(facts: FileFacts, sleepers: ReadonlyMap<string, SleepRoute>, defined: ReadonlySet<string>): SummaryBinding[] {
  return facts.fieldBindings.map((b: FieldBinding) => {
    const field = b.field ?? (b.index !== undefined && b.type ? (facts.structFields.get(b.type)?.[b.index] ?? null) : null);
    const s = sleepers.get(b.target);
    return {
      type: b.type,
      field,
      ...(field === null && b.index !== undefined ? { index: b.index } : {}),
      target: b.target,
      line: facts.lineOf(b.span.start),
      defined: defined.has(b.target),
      sleeps: s ? sleepsText(b.target, facts.path, s) : null,
    };
  });
}

/** A name spelled as a constant (`PCI_ANY_ID`, `I810_PTE_VALID`): a macro or enumerator, not a function of a driver. */
const CONSTANT_NAME = /^[A-Z][A-Z0-9_]*$/;

/**
 * A file's bindings as its summary carries them to the workspace: of the constants stored in a field
 * (CONSTANT_NAME, not defined here: most are id tables' values, half of 2.4.22's 33k bindings), one per struct
 * type and field (or position). Any one keeps a call through that field from being reported (it does not sleep),
 * as all of them do; the file's own analysis reads them all.
 */
export function compactBindings(bindings: readonly SummaryBinding[]): SummaryBinding[] {
  const seen = new Set<string>();
  return bindings.filter((b) => {
    if (b.defined || b.sleeps || !CONSTANT_NAME.test(b.target)) return true;
    const key = `${b.type}\0${b.field}\0${b.index}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The functions a call through a struct field can reach: those stored in that field of the base's struct type
 * where the base is a variable of known type (and those stored through bases of unknown type, which may be of
 * it); else, by the field's name alone, only when every binding of that name whose type is known is of one
 * type (the conservative choice: two struct types with a field of that name and the call is not resolved).
 * Null when nothing is stored in that field of a struct defined in the workspace.
 */
export function resolveIndirect(
  call: CallEvent,
  fn: FunctionFacts,
  facts: FileFacts,
  local: readonly SummaryBinding[],
  sleepers: ReadonlyMap<string, SleepRoute>,
  workspace: WorkspaceIndex | undefined,
): IndirectResolution | null {
  if (!call.via) return null;
  const field = call.via.field;
  const all: { b: SummaryBinding; file: string }[] = [
    ...local.filter((b) => b.field === field).map((b) => ({ b, file: facts.path })),
    ...(workspace?.fieldBindings(field, facts.path) ?? []),
  ];
  if (!all.length) return null;
  const type = baseType(call.via.base, fn, facts);
  const types = new Set(all.flatMap(({ b }) => (b.type ? [b.type] : [])));
  // By the field's name alone: only when the bindings of known type are all of one type.
  const structType = type ?? (types.size === 1 ? [...types][0] : null);
  // A struct defined in a kernel header is filled by code kport does not see (the rest of the kernel, macros
  // such as 2.4's DECLARE_FSTYPE()): the functions found are not all of them.
  if (!structType || !types.has(structType)) return null;
  // What can hide other targets (never the sleeping ones found): the call is then "may" at most.
  const incomplete = !(facts.structFields.has(structType) || workspace?.structDefined(structType))
    ? `${structType} is defined outside the files checked: other code may store other functions in it`
    : workspace?.storesUnread(field)
      ? `a file stores functions in .${field} in code kport did not parse`
      : workspace?.positionalUnresolved(structType) || local.some((b) => b.field === null && b.type === structType)
        ? `a positional initializer of ${structType} has no known field order`
        : null;
  const chosen = all.filter(({ b }) => b.type === structType || b.type === null);
  const seen = new Set<string>();
  const targets: IndirectTarget[] = [];
  for (const { b, file } of chosen) {
    const key = `${b.defined ? file : ''}\0${b.target}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (b.sleeps || b.defined) {
      targets.push({ name: b.target, file, line: b.line, sleeps: b.sleeps });
      continue;
    }
    // Stored where it is not defined: a function of this file (not static, else it is another one), or exported elsewhere.
    const own = file !== facts.path && facts.functions.some((f) => f.name === b.target && !f.isStatic) ? sleepers.get(b.target) : undefined;
    const route = own ? sleepsText(b.target, facts.path, own) : workspace?.sleeper(b.target);
    targets.push({ name: b.target, file, line: b.line, sleeps: route ?? null });
  }
  return { key: `${structType}.${field}`, targets, incomplete };
}
