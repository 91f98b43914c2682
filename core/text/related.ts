/** Plain types every layer may name: a text edit and a related location. */
import type { Span } from './span';

export interface TextEdit {
  start: number;
  end: number;
  newText: string;
}

export interface Related {
  message: string;
  span: Span;
  /** Another file of the workspace; absent for this file. */
  file?: string;
  /** 1-based line for related locations in files we hold no text for. */
  line?: number;
}
