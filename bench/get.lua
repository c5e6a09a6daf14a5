-- wrk script: GET with a bearer token (path from BENCH_PATH).
local token = os.getenv("BENCH_TOKEN")
request = function()
  return wrk.format("GET", os.getenv("BENCH_PATH"), {["Authorization"] = "Bearer " .. token})
end
