-- Requests cycle through the paths in the file named by wrk's first script argument (one a line),
-- each thread starting at its own place; the summary is wrk_report.lua's one line.
local paths = {}
local next_index = 1

init = function(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  next_index = math.random(#paths)
end

request = function()
  next_index = next_index % #paths + 1
  return wrk.format("GET", paths[next_index])
end

dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "wrk_report.lua")
