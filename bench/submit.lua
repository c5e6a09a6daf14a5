-- wrk script: POST /api/v1/submissions with a fresh uuid each time (wrk -s submit.lua).
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
local token = os.getenv("BENCH_TOKEN")
local buildings = {}
for code in string.gmatch(os.getenv("BENCH_BUILDINGS") or "", "[^,]+") do buildings[#buildings + 1] = code end

local function uuid()
  return string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end)
end

request = function()
  local body = string.format(
    '{"uuid":"%s","form":"suggestion","grid_code":"%s","data":{"category":"repair","content":"楼道灯坏了","anonymous":true}}',
    uuid(), buildings[math.random(1, #buildings)])
  return wrk.format("POST", "/api/v1/submissions",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
