/** The three memory scenarios every verdict is given for, in order, and their names in prose. No imports: the view's client bundle reads it too. */
import type { ScenarioName } from '../sim';

export const SCENARIOS: ScenarioName[] = ['normal', 'pressure', 'exhausted'];

export const SCENARIO_WORDS: Record<ScenarioName, string> = { normal: 'normal memory', pressure: 'under pressure', exhausted: 'exhausted memory' };
