/** Re-exports for bench/profile-rules.ts: the core pieces analyze() wires together. */
export { FileFacts, RULES } from '../core';
export { SharedAnalyses as SharedAnalysesForProfile } from '../core/context/shared';
