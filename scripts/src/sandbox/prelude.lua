-- The sandbox's prelude: runs once before the recipe, with the host's guards as arguments.
--
-- It wraps the library functions that can work for a long time inside one call, where the
-- instruction hook cannot see (string patterns backtrack, string.rep of nothing loops,
-- table functions walk ranges the script chooses), so that they charge the budget or are
-- refused; it makes pcall and xpcall re-raise the end of a budget, so a script cannot catch
-- it and go on; and it keeps `load` to text. The originals stay in this chunk's locals, out
-- of the recipe's reach.
local charge, check_pattern, reraise = ...
local type, tostring, select = type, tostring, select
local string, table, math = string, table, math
local rep, find, match, gmatch, gsub = string.rep, string.find, string.match, string.gmatch, string.gsub
local move, sort, insert, remove = table.move, table.sort, table.insert, table.remove
local concat, unpack = table.concat, table.unpack
local raw_pcall, raw_xpcall, raw_load = pcall, xpcall, load

local function length(t)
  if type(t) == "table" then
    return #t
  end
  return 0
end

function string.rep(s, n, ...)
  local sep = ...
  if type(n) == "number" and n > 0 and #tostring(s) + #tostring(sep or "") == 0 then
    return "" -- Lua would loop n times copying nothing
  end
  if type(n) == "number" and n > 0 then
    charge(n)
  end
  local result = rep(s, n, ...)
  return result
end

function string.find(s, pattern, init, plain)
  if not plain then
    check_pattern(s, pattern)
  end
  return find(s, pattern, init, plain)
end

function string.match(s, pattern, ...)
  check_pattern(s, pattern)
  return match(s, pattern, ...)
end

function string.gmatch(s, pattern, ...)
  check_pattern(s, pattern)
  return gmatch(s, pattern, ...)
end

function string.gsub(s, pattern, ...)
  check_pattern(s, pattern)
  return gsub(s, pattern, ...)
end

function table.move(a1, f, e, ...)
  if type(f) == "number" and type(e) == "number" and e >= f then
    charge(e - f + 1)
  end
  return move(a1, f, e, ...)
end

function table.sort(t, ...)
  local n = length(t)
  if n > 1 then
    charge(n * math.log(n, 2))
  end
  return sort(t, ...)
end

function table.insert(t, ...)
  charge(length(t))
  return insert(t, ...)
end

function table.remove(t, ...)
  charge(length(t))
  return remove(t, ...)
end

function table.concat(t, ...)
  charge(length(t))
  return concat(t, ...)
end

function table.unpack(t, i, j)
  local first, last = i or 1, j or length(t)
  if type(first) == "number" and type(last) == "number" and last >= first then
    charge(last - first + 1)
  end
  return unpack(t, i, j)
end

function pcall(f, ...)
  return reraise(raw_pcall(f, ...))
end

function xpcall(f, handler, ...)
  return reraise(raw_xpcall(f, handler, ...))
end

function load(chunk, name, mode, ...)
  if mode ~= nil and mode ~= "t" then
    error("load: a recipe can load only Lua text (mode \"t\"); precompiled bytecode is refused", 2)
  end
  return raw_load(chunk, name, "t", ...)
end
