/** The editor's facade over core: an analysis host and the plain data its queries answer. */
export { AnalysisHost, type HostOptions } from './host';
export type { DocumentAnalysis } from './document';
export { configFromEditorSettings } from './settings';
export { suppressionEdit } from './suppress';
export type * from './types';
