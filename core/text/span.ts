/** A half-open range of UTF-16 offsets into the user's text. */
export interface Span {
  start: number;
  end: number;
}

export const spanOf = (node: { startIndex: number; endIndex: number }): Span => ({ start: node.startIndex, end: node.endIndex });

export const contains = (outer: Span, inner: Span): boolean => outer.start <= inner.start && inner.end <= outer.end;
