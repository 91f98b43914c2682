/** What the adapter knows beyond one file, handed to an analysis. */
import type { HeaderDefine } from '../gfp/mask';
import type { KernelConfig, SimulatedMachine } from '../sim';
import type { WorkspaceIndex } from './workspace';

/** What the adapter knows beyond this file: other files' facts and local headers. */
export interface AnalysisEnv {
  headerDefine?: (name: string) => HeaderDefine | undefined;
  /** Other files' summaries (call graph, handler registrations); absent = this file alone. */
  workspace?: WorkspaceIndex;
  /** The machine simulations run on (setting `simulation.machine`); absent = the default 256 MiB PC. */
  machine?: SimulatedMachine;
  /** What a sleep in atomic context shows (settings simulation.preempt / debugSleep); absent = distribution defaults. */
  kernel?: KernelConfig;
}
