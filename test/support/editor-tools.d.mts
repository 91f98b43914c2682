export type Suite = 'vscode' | 'nvim' | 'emacs' | 'chromium';
export interface SuiteGate {
  /** The node:test skip reason, or false: run the suite. */
  skip: string | false;
  /** What this machine lacks for the suite ([] = ready). */
  missing: string[];
}
export const INSTALL_COMMAND: string;
export const SUITE_APT: Record<Suite, string[]>;
export const ALL_APT_PACKAGES: string[];
export function missingAptPackages(names?: string[]): string[];
export function missingFor(suite: Suite): string[];
export function suiteGate(suite: Suite, env?: NodeJS.ProcessEnv): SuiteGate;
export function requireTools(suite: Suite, gate: SuiteGate): void;
