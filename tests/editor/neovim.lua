-- Driven by neovim.sh. Uses only APIs Neovim 0.7 has
-- (vim.lsp.start_client + vim.lsp.buf_attach_client, vim.diagnostic.get).
local bin = os.getenv("BACKLINT_BIN")
local target = os.getenv("BACKLINT_TARGET")
local out = os.getenv("BACKLINT_OUT")

local function finish(result, code)
  local f = assert(io.open(out, "w"))
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd((code == 0) and "qall!" or ("cquit " .. code))
end

local function dump(bufnr)
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local lsp = (d.user_data and d.user_data.lsp) or {}
    table.insert(list, {
      lnum = d.lnum,
      col = d.col,
      end_lnum = d.end_lnum,
      end_col = d.end_col,
      severity = d.severity,
      message = d.message,
      source = d.source,
      code = d.code or lsp.code,
    })
  end
  return list
end

vim.cmd("edit " .. vim.fn.fnameescape(target))
local bufnr = vim.api.nvim_get_current_buf()
local client_id = vim.lsp.start_client({
  name = "backlint",
  cmd = { bin, "lsp" },
  root_dir = vim.fn.fnamemodify(target, ":p:h"),
})
if not client_id then
  finish({ error = "start_client failed" }, 3)
  return
end
vim.lsp.buf_attach_client(bufnr, client_id)

local result = {}
-- Generous: a debug build compiles the rules slowly on a busy machine.
result.opened_in_time = vim.wait(90000, function()
  return #vim.diagnostic.get(bufnr) > 0
end, 20)
result.opened = dump(bufnr)

-- Edit: drop the last line (which holds a finding), wait for the update.
local before = #result.opened
local last = vim.api.nvim_buf_line_count(bufnr)
vim.api.nvim_buf_set_lines(bufnr, last - 1, last, false, {})
result.changed_in_time = vim.wait(30000, function()
  return #vim.diagnostic.get(bufnr) < before
end, 20)
result.changed = dump(bufnr)

vim.lsp.stop_client(client_id)
result.stopped = vim.wait(5000, function()
  return vim.lsp.client_is_stopped(client_id)
end, 20)
finish(result, 0)
