/**
 * What the adapters (server/, client/) import: the editor's facade (core/ide) and what the CLI's per-file
 * job and passes need. Tests and benchmarks import internals by path.
 */
// The editor's facade.
export * from './ide';
export {
  SIMULATE_METHOD,
  SIMULATE_DRIVER_METHOD,
  type SimulateParams,
  type SimulateResult,
  type SimulateDriverParams,
  type SimulateDriverResult,
} from './simulation/protocol';
export type { LinkOptions } from './simulation/markdown';
// Parsing, config and the rules' names (the CLI, the index's workers, settings).
export { CParser, type ParsedFile } from './parse/parser';
export { setPausePoint } from './pause-point';
export { parseConfig, mergeConfigs, type KportConfig } from './config';
export { resolveTarget, TARGETS, DEFAULT_TARGET } from './kernel/target';
export { RULES, RULE_IDS, canonicalRuleId, renamedRuleNote } from './rules';
export { LineIndex } from './text/line-index';
export type { Finding, Severity, TextEdit, AnalysisEnv } from './rules/types';
export type { HeaderDefine } from './gfp/mask';
// The per-file job of `kport check|fix` and of the index (server/check/process-file.ts): the scale
// machinery (prefilter, partial parses, pass 1b) stays behind checkText.
export { FileFacts } from './facts/file-facts';
export { definedNames } from './facts/conditions';
export { countSyntaxErrors } from './parse/parser';
export { analyze, markDead, renamedSuppressions } from './analyze';
export { applyEdits, safeFix } from './fix';
export type { FileSummary } from './context/workspace';
export { checkText, leftOut, leftOutSummary } from './scale/check-text';
// The check over many files (`kport check`, the editor's index).
export { runCheckPlan, CancelledError, type Mode, type JobOptions, type FileHint, type PassReport, type PassExecutor, type PassName } from './scale/check-plan';
// `kport simulate`.
export { simulateDriver, driverSimulationText } from './simulation/driver';
export { toSimulateDriverResult } from './simulation/protocol';
export { resolveMachine } from './sim';
export { simulatedOn } from './simulation/markdown';
