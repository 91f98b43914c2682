/** What the adapter knows beyond one file, handed to an analysis. */
import type { HeaderDefine } from '../gfp/mask';
import type { KernelConfig, SimulatedMachine } from '../sim';
import type { WorkspaceIndex } from './workspace';

/** A quoted include as the adapter read it: where it was found and what it includes in turn. */
export interface LocalHeader {
  /** The header's identity (its resolved path), handed back as `from` to resolve its own quoted includes. */
  id: string;
  includes: { path: string; system: boolean }[];
}

/** A function-like macro of a local header: `#define try(A) if ((A) == 0) goto fail;`. */
export interface HeaderMacro {
  params: string[];
  body: string;
  file: string;
}

/** What the adapter knows beyond this file: other files' facts and local headers. */
export interface AnalysisEnv {
  headerDefine?: (name: string) => HeaderDefine | undefined;
  /** Function-like macros of the local headers this file includes (one level, as headerDefine). */
  headerMacro?: (name: string) => HeaderMacro | undefined;
  /**
   * A quoted include (`#include "drmP.h"`) of this file, or of the local header `from` (a LocalHeader id),
   * resolved as the compiler does (the including file's directory); undefined when it cannot be read.
   * Absent: quoted includes cannot be followed (an untitled buffer, a test without files).
   */
  localHeader?: (path: string, from?: string) => LocalHeader | undefined;
  /**
   * The files of this file's directory that `#include "<its name>"` (gdth.c includes gdth_proc.c): such a file
   * is compiled as part of them, after their own includes. Absent: not known (an untitled buffer, a test
   * without files).
   */
  includedBy?: () => string[];
  /**
   * Whether some file of the workspace `#define`s this macro, or a Makefile passes it with `-D`; undefined
   * while that is not known (the index is not complete, or absent). Findings in a branch only such a macro
   * could enable are dead (context/preprocessor.ts).
   */
  macroDefined?: (name: string) => boolean | undefined;
  /** Other files' summaries (call graph, handler registrations); absent = this file alone. */
  workspace?: WorkspaceIndex;
  /** The machine simulations run on (setting `simulation.machine`); absent = the default 256 MiB PC. */
  machine?: SimulatedMachine;
  /** What a sleep in atomic context shows (settings simulation.preempt / debugSleep); absent = distribution defaults. */
  kernel?: KernelConfig;
  /** The kernel release the port is for (setting `target`, core/kernel/target.ts); absent = "2.6", the article's. */
  target?: string;
  /**
   * Calls through struct fields (`ops->open(dev)`) are resolved: the rule may-sleep-in-atomic-indirect is
   * enabled (resolvedEnv). Off, no field binding, struct order or sleeper is read or summarized, and
   * sleep-in-atomic does not follow such calls: the feature's cost is paid only by those who enable it.
   */
  indirectCalls?: boolean;
}
