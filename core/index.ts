/** kport's IDE core: parse → facts → rules → fixes. Knows nothing of LSP, VS Code or the file system. */
export { CParser, ParsedFile, countSyntaxErrors, type ParserWasm } from './parse/parser';
export { neutralize } from './parse/neutralize';
export { FileFacts, FunctionCache } from './facts/file-facts';
export { analyze, addVerdicts, suppressions, renamedSuppressions, enabledRules, type AnalyzeOptions, type RuleFailure } from './analyze';
export { applyEdits, preferredEdits, parsesNoWorse, safeFix } from './fix';
export { hoverAt, describeMask, SIMULATED_CALLS, type HoverResult } from './hover';
export { SIMULATE_METHOD, SIMULATE_DRIVER_METHOD, toSimulateResult, toSimulateDriverResult, type SimulateParams, type SimulateResult, type SimulateDriverParams, type SimulateDriverResult } from './simulation/protocol';
export { simulateDriver, driverSimulationText, type DriverSimulation } from './simulation/driver';
export { simulatedOn, type LinkOptions } from './simulation/markdown';
export { resolveMachine, MACHINE_PRESETS, type SimulatedMachine } from './sim';
export { renderSimulationHtml } from './simulation/view';
export { SharedAnalyses } from './context/shared';
export { simulateFunction, isSimulated, stepsForCall, SCENARIOS, type FunctionSimulation, type PathSimulation } from './simulation/run';
export { parseConfig, mergeConfigs, type KportConfig, type RuleSetting } from './config';
export { resolveTarget, TARGETS, DEFAULT_TARGET } from './kernel/target';
export { RULES, RULE_IDS, RENAMED_RULES, ruleById, canonicalRuleId, renamedRuleNote } from './rules';
export { LineIndex, type Position } from './text/line-index';
export type { Span } from './text/span';
export type { Finding, Fix, Related, Severity, TextEdit, AnalysisEnv, Rule } from './rules/types';
export type { HeaderDefine } from './gfp/mask';
export { WorkspaceIndex, focusSummaries, crossFileNames, mergeSummaries, type FileSummary } from './context/workspace';
export { FileContext } from './context/atomic-context';
export { triggerTest, mentionTest, mentionPositions } from './relevance';
export { parseForRules, parseForSummary, analyzeInPart } from './scale/partial-parse';
export { CONTEXT_ANCHORS } from './kernel/alloc-api';
export { runCheckPlan, filesNeedingWorkspace, CancelledError, type Mode, type JobOptions, type FileHint, type PassReport, type PassExecutor, type PassName, type CheckPlanOptions, type CheckPlanResult } from './scale/check-plan';
import { FileContext as FileContextImpl } from './context/atomic-context';
import type { FileFacts as FileFactsT } from './facts/file-facts';
import type { WorkspaceIndex as WorkspaceIndexT } from './context/workspace';

/** The plain-data summary of a file that the workspace index keeps (no trees, no text). */
export function summarizeFile(facts: FileFactsT, workspace?: WorkspaceIndexT) {
  return new FileContextImpl(facts, workspace).summary();
}
