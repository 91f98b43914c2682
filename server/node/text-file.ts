/**
 * Bytes ↔ text without loss: valid UTF-8 is decoded as UTF-8, anything else as Latin-1 (2.4 trees
 * have Latin-1 comments), and written back in the same encoding so untouched bytes stay identical.
 */
export type Encoding = 'utf8' | 'latin1';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decode(bytes: Uint8Array): { text: string; encoding: Encoding } {
  try {
    return { text: utf8.decode(bytes), encoding: 'utf8' };
  } catch {
    return { text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'), encoding: 'latin1' };
  }
}

export function encode(text: string, encoding: Encoding): Buffer {
  return Buffer.from(text, encoding);
}
