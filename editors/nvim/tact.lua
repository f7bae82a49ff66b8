-- tact for Neovim: a minimal client config for the `tact serve` language server.
--
-- Usage (init.lua):
--   local tact = dofile("/path/to/tact/editors/nvim/tact.lua")
--   tact.setup({
--     cmd = { "/path/to/venv/bin/python", "-m", "tact", "serve" },  -- optional
--     settings = { telemetry = { url = "sqlite:////home/me/tact.db" } }, -- protocol settings
--   })
--
-- What it wires, by Neovim version:
--   * 0.12+: ghost text through vim.lsp.inline_completion (LSP 3.18), plus completion items.
--   * 0.11:  vim.lsp.start + vim.lsp.completion (built-in completion; on confirm it runs the
--            item's command, so `tact.accept` reaches the server).
--   * 0.7-0.10: vim.lsp.start_client + buf_attach_client, omnifunc (<C-x><C-o>) and a
--            CompleteDone handler that sends `workspace/executeCommand tact.accept [id]`
--            for a confirmed tact item (0.7's omnifunc never runs item commands).
-- On every version a confirmed tact item inserts the whole suggestion (Neovim's menu
-- inserts only up to the first space).
-- On every version, selecting a tact item in the completion menu sends
-- `tact/didShowCompletion` (the suggestion was really seen); rejections are inferred by
-- the server.
-- Fixes: syntax errors and (with settings.fixes.allowExecution = true) failing tests are
-- diagnostics with quick fixes: vim.lsp.buf.code_action() (`gra` on 0.11) lists them, and
-- choosing one applies its edit and runs its `tact.fixApplied` command. :TactRunTests runs
-- the file's tests now (they also run on save); :TactStatus, :TactTrain.

local M = {}

local ACCEPT = "tact.accept"
local DID_SHOW = "tact/didShowCompletion"

M.defaults = {
  cmd = nil, -- nil: `tact serve` if `tact` is on PATH, else `python3 -m tact serve`
  filetypes = { "python", "javascript", "typescript", "go", "rust" },
  root_markers = { "pyproject.toml", "setup.py", "package.json", "go.mod", "Cargo.toml", ".git" },
  -- The agreed protocol settings object (camel-case), sent as initializationOptions and
  -- as workspace/didChangeConfiguration {settings = {tact = ...}}. Unset keys: server defaults.
  settings = {},
  autotrigger = false, -- 0.11+: open the completion menu while typing
  inline = true, -- 0.12+: ghost text
  inline_accept_key = "<M-CR>", -- 0.12+: accept the ghost text (or ask for one)
}

local function has(v)
  return vim.fn.has("nvim-" .. v) == 1
end

local function default_cmd()
  if vim.fn.executable("tact") == 1 then
    return { "tact", "serve" }
  end
  return { "python3", "-m", "tact", "serve" }
end

local function find_root(bufnr, markers)
  local name = vim.api.nvim_buf_get_name(bufnr)
  local dir = name ~= "" and vim.fn.fnamemodify(name, ":p:h") or vim.fn.getcwd()
  if vim.fs and vim.fs.find then
    local found = vim.fs.find(markers, { path = dir, upward = true })[1]
    if found then
      return vim.fn.fnamemodify(found, ":h")
    end
  end
  return dir
end

--- The suggestion id of a tact completion item (its `tact.accept` command), or nil.
function M.suggestion_id(item)
  local cmd = type(item) == "table" and item.command or nil
  if type(cmd) == "table" and cmd.command == ACCEPT and type(cmd.arguments) == "table" then
    local id = cmd.arguments[1]
    if type(id) == "string" and id ~= "" then
      return id
    end
  end
  return nil
end

-- The LSP completion item behind a completion-menu entry (omnifunc and vim.lsp.completion
-- both keep it in user_data.nvim.lsp.completion_item).
local function lsp_item(completed)
  local ud = type(completed) == "table" and completed.user_data or nil
  if type(ud) == "string" and ud ~= "" then
    local ok, decoded = pcall(vim.fn.json_decode, ud)
    ud = ok and decoded or nil
  end
  return type(ud) == "table" and ud.nvim and ud.nvim.lsp and ud.nvim.lsp.completion_item or nil
end

local function tact_clients(bufnr)
  local list = {}
  local all = (vim.lsp.get_clients and vim.lsp.get_clients({ bufnr = bufnr }))
    or vim.lsp.buf_get_clients(bufnr)
  for _, c in pairs(all) do
    if c.name == "tact" then
      table.insert(list, c)
    end
  end
  return list
end

--- client:request on 0.11+, client.request before; `handler(err, result)` is optional.
local function request(client, method, params, bufnr, handler)
  handler = handler or function() end
  if has("0.11") then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

local function notify(client, method, params)
  if has("0.11") then
    return client:notify(method, params)
  end
  return client.notify(method, params)
end

local shown = {}

-- CompleteChanged: a tact item is selected in the menu -> the user sees it.
local function on_complete_changed(bufnr)
  local id = M.suggestion_id(lsp_item(vim.v.event and vim.v.event.completed_item))
  if id and not shown[id] then
    shown[id] = true
    for _, c in ipairs(tact_clients(bufnr)) do
      notify(c, DID_SHOW, { id = id })
    end
  end
end

-- The whole text a tact item stands for (Neovim's menu inserts only its first word).
local function full_text(item)
  if type(item.textEdit) == "table" and type(item.textEdit.newText) == "string" then
    return item.textEdit.newText
  end
  return item.insertText or item.label
end

-- Neovim inserts a completion item's `word`, which stops at the first space (and can
-- never hold a newline), so a confirmed suggestion would be cut short: replace the
-- inserted word with the full suggestion, multi-line included, and put the cursor after it.
local function complete_insertion(bufnr, completed, item)
  local text = full_text(item)
  local word = completed.word or ""
  if type(text) ~= "string" or text == word then
    return
  end
  local row, col = unpack(vim.api.nvim_win_get_cursor(0))
  local start = col - #word
  local line = vim.api.nvim_buf_get_lines(bufnr, row - 1, row, false)[1] or ""
  if start < 0 or line:sub(start + 1, col) ~= word then
    return -- the buffer is not as expected: leave it alone
  end
  local lines = vim.split(text, "\n", { plain = true })
  vim.api.nvim_buf_set_text(bufnr, row - 1, start, row - 1, col, lines)
  local last = lines[#lines]
  local last_col = (#lines == 1 and start or 0) + #last
  vim.api.nvim_win_set_cursor(0, { row + #lines - 1, last_col })
end

-- CompleteDone: a confirmed tact item -> insert all of it; on 0.7-0.10 also send
-- tact.accept (0.11+'s vim.lsp.completion runs the item's command itself).
local function on_complete_done(bufnr, send_accept)
  local ev = vim.v.event or {}
  if ev.reason ~= nil and ev.reason ~= "accept" then
    return
  end
  local completed = vim.v.completed_item
  if type(completed) ~= "table" or vim.tbl_isempty(completed) then
    return
  end
  local item = lsp_item(completed)
  local id = M.suggestion_id(item)
  if not id then
    return
  end
  complete_insertion(bufnr, completed, item)
  if not send_accept then
    return
  end
  for _, c in ipairs(tact_clients(bufnr)) do
    request(c, "workspace/executeCommand", { command = ACCEPT, arguments = { id } }, bufnr)
  end
  M.accepted = (M.accepted or 0) + 1
end

local function on_attach(client, bufnr, opts)
  local group = vim.api.nvim_create_augroup("tact_buf_" .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd("CompleteChanged", {
    group = group,
    buffer = bufnr,
    callback = function()
      on_complete_changed(bufnr)
    end,
  })
  local builtin = has("0.11") and vim.lsp.completion ~= nil
  -- Defined before vim.lsp.completion's own handler, so the full text is in the buffer
  -- before that handler runs the item's command.
  vim.api.nvim_create_autocmd("CompleteDone", {
    group = group,
    buffer = bufnr,
    callback = function()
      on_complete_done(bufnr, not builtin)
    end,
  })
  if builtin then
    -- Built-in completion runs the item's command on confirm (client:exec_cmd).
    vim.lsp.completion.enable(true, client.id, bufnr, { autotrigger = opts.autotrigger })
  else
    vim.bo[bufnr].omnifunc = "v:lua.vim.lsp.omnifunc"
  end
  if opts.inline and vim.lsp.inline_completion and vim.lsp.inline_completion.enable then
    -- 0.12+: ghost text. vim.lsp.inline_completion.get() accepts the shown item and runs
    -- its command (tact.accept); with nothing shown it asks the server for one.
    -- (Neovim offers no "rendered" hook here, so no tact/didShowCompletion for ghost text.)
    pcall(vim.lsp.inline_completion.enable, true, { bufnr = bufnr })
    vim.keymap.set("i", opts.inline_accept_key, function()
      vim.lsp.inline_completion.get({ bufnr = bufnr })
    end, { buffer = bufnr, desc = "tact: accept (or ask for) the inline suggestion" })
  end
  if opts.on_attach then
    opts.on_attach(client, bufnr)
  end
end

local function client_config(bufnr, opts)
  local settings = opts.settings or {}
  return {
    name = "tact",
    cmd = opts.cmd or default_cmd(),
    root_dir = find_root(bufnr, opts.root_markers),
    init_options = settings,
    settings = { tact = settings },
    on_init = function(client)
      -- 0.11 pushes `settings` itself after initialize; older versions do not.
      if not has("0.11") then
        notify(client, "workspace/didChangeConfiguration", { settings = { tact = settings } })
      end
    end,
    on_attach = function(client, b)
      on_attach(client, b, opts)
    end,
  }
end

local legacy_client_id = nil

local function start(bufnr, opts)
  local config = client_config(bufnr, opts)
  if vim.lsp.start then
    return vim.lsp.start(config, { bufnr = bufnr })
  end
  -- 0.7: one client for all buffers, attached per buffer.
  if not legacy_client_id or vim.lsp.client_is_stopped(legacy_client_id) then
    legacy_client_id = vim.lsp.start_client(config)
  end
  if legacy_client_id then
    vim.lsp.buf_attach_client(bufnr, legacy_client_id)
  end
  return legacy_client_id
end

--- Start tact for buffers of the configured file types.
function M.setup(user)
  local opts = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), user or {})
  M.options = opts
  local group = vim.api.nvim_create_augroup("tact", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = opts.filetypes,
    callback = function(args)
      start(args.buf, opts)
    end,
  })
  -- Buffers already open when setup() runs.
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(b) and vim.tbl_contains(opts.filetypes, vim.bo[b].filetype) then
      start(b, opts)
    end
  end
  vim.api.nvim_create_user_command("TactStatus", function()
    for _, c in ipairs(tact_clients(0)) do
      local function show(err, result)
        vim.notify(err and ("tact: " .. vim.inspect(err)) or vim.inspect(result))
      end
      request(c, "tact/status", {}, 0, show)
    end
  end, { desc = "tact: show the server status" })
  vim.api.nvim_create_user_command("TactRunTests", function()
    -- tact.runTests: the tests that exercise this file run in the server's sandbox (only
    -- with settings.fixes.allowExecution = true); failures come back as diagnostics with
    -- quick fixes (vim.lsp.buf.code_action). The reply is a one-line summary.
    local uri = vim.uri_from_bufnr(0)
    local params = { command = "tact.runTests", arguments = { uri } }
    for _, c in ipairs(tact_clients(0)) do
      local function report(err, result)
        if err then
          vim.notify("tact: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
        elseif type(result) ~= "table" or not result.ran then
          local why = type(result) == "table" and (result.reason or result.note) or nil
          vim.notify("tact: no tests ran" .. (why and (": " .. why) or ""), vim.log.levels.WARN)
        else
          vim.notify(string.format("tact: %d tests, %d failing, %d fixes (%.1f s)",
            result.tests or 0, result.failed or 0, result.fixes or 0, result.seconds or 0))
        end
      end
      request(c, "workspace/executeCommand", params, 0, report)
    end
  end, { desc = "tact: run the tests of this file (needs fixes.allowExecution)" })
  vim.api.nvim_create_user_command("TactTrain", function()
    for _, c in ipairs(tact_clients(0)) do
      request(c, "workspace/executeCommand", { command = "tact.trainModel", arguments = {} }, 0)
    end
  end, { desc = "tact: train the acceptance model now" })
  return M
end

M._complete_insertion = complete_insertion -- for tests

--- Number of tact clients attached to a buffer (for scripts and tests).
function M.attached(bufnr)
  return #tact_clients(bufnr or 0)
end

_G.tact = M
return M
