-- Drives Neovim 0.7+ (headless) as a real third-party LSP client of `kport lsp --stdio`:
-- open a C file, wait for kport's diagnostics, ask for code actions on the malloc-h one, apply the
-- <linux/slab.h> quick fix as a workspace edit, write the buffer. Results go to $KPORT_NVIM_RESULT (JSON).
-- Environment: KPORT_NVIM_FILE (the C file, a copy), KPORT_NVIM_ROOT (workspace root), KPORT_BIN (bin/kport.js),
-- KPORT_NODE (node executable), KPORT_NVIM_RESULT (output path).
local file = os.getenv('KPORT_NVIM_FILE')
local root = os.getenv('KPORT_NVIM_ROOT')
local out = os.getenv('KPORT_NVIM_RESULT')
local result = { steps = {} }

local function finish(ok, err)
  result.ok = ok
  result.error = err
  local f = assert(io.open(out, 'w'))
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd('qall!')
end

local function step(name) table.insert(result.steps, name) end

local ok, err = pcall(function()
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = 'c'

  local client_id = vim.lsp.start_client({
    name = 'kport',
    cmd = { os.getenv('KPORT_NODE') or 'node', os.getenv('KPORT_BIN'), 'lsp', '--stdio' },
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = 'ws' } },
  })
  assert(client_id, 'vim.lsp.start_client returned nil')
  assert(vim.lsp.buf_attach_client(bufnr, client_id), 'buf_attach_client failed')
  step('attached')

  local diags
  local got = vim.wait(20000, function()
    diags = vim.diagnostic.get(bufnr)
    return #diags > 0
  end, 50)
  assert(got, 'no diagnostics within 20 s')
  result.diagnostics = {}
  local malloc
  for _, d in ipairs(diags) do
    table.insert(result.diagnostics, { lnum = d.lnum, col = d.col, code = d.code, source = d.source, severity = d.severity })
    if d.code == 'malloc-h' then malloc = d end
  end
  assert(malloc, 'no malloc-h diagnostic')
  step('diagnostics')

  local client = vim.lsp.get_client_by_id(client_id)
  local encoding = client.offset_encoding or 'utf-16'
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(bufnr),
    range = { start = { line = malloc.lnum, character = malloc.col }, ['end'] = { line = malloc.end_lnum, character = malloc.end_col } },
    context = { diagnostics = { (malloc.user_data and malloc.user_data.lsp) or {
      range = { start = { line = malloc.lnum, character = malloc.col }, ['end'] = { line = malloc.end_lnum, character = malloc.end_col } },
      message = malloc.message, code = malloc.code, source = malloc.source, severity = malloc.severity,
    } }, only = { 'quickfix' } },
  }
  local responses = vim.lsp.buf_request_sync(bufnr, 'textDocument/codeAction', params, 10000)
  assert(responses and responses[client_id], 'no codeAction response')
  local actions = responses[client_id].result or {}
  result.actions = {}
  local fix
  for _, a in ipairs(actions) do
    table.insert(result.actions, { title = a.title, kind = a.kind, isPreferred = a.isPreferred })
    if a.edit and not fix then fix = a end
  end
  assert(fix, 'no code action with an edit')
  step('code actions')

  vim.lsp.util.apply_workspace_edit(fix.edit, encoding)
  step('applied ' .. fix.title)
  vim.cmd('write')
  step('written')

  -- After the edit the malloc-h diagnostic must go away (the server re-analyses on didChange).
  local cleared = vim.wait(10000, function()
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      if d.code == 'malloc-h' then return false end
    end
    return true
  end, 50)
  result.malloc_cleared = cleared
  vim.lsp.stop_client(client_id)
end)

finish(ok, ok and nil or tostring(err))
