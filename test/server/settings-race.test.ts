/**
 * A document opened while the server is still pulling the editor's settings is checked with the
 * defaults first; once the settings arrive it must be checked again with them (an editor whose
 * client answers workspace/configuration late otherwise shows a rule the user turned off).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startServer } from '../support/lsp-client';

const SOURCE = `#include <linux/malloc.h>

static void *grab(int n)
{
\treturn kmalloc(n, GFP_BUFFER);
}
`;

test('settings that arrive after a document was opened are applied to it', async () => {
  let answer!: (settings: unknown[]) => void;
  const settings = new Promise<unknown[]>((resolve) => (answer = resolve));
  const s = await startServer({
    initializationOptions: { indexWorkspace: false },
    capabilities: { workspace: { configuration: true }, textDocument: { publishDiagnostics: { relatedInformation: true, versionSupport: true } } },
    configuration: () => settings,
  });
  try {
    const uri = 'file:///tmp/kport-settings-race.c';
    const first = await s.open(uri, SOURCE);
    assert.deepEqual(first.map((d) => d.code).sort(), ['gfp-buffer', 'malloc-h'], 'defaults before the settings arrive');
    const again = s.diagnostics(uri, 1);
    answer([{ rules: { 'gfp-buffer': 'off' } }]);
    const after = await again;
    assert.deepEqual(
      after.map((d) => d.code),
      ['malloc-h'],
      'the user turned gfp-buffer off',
    );
  } finally {
    await s.close();
  }
});
