-- wrk script: GET BENCH_PATH, with a bearer token when BENCH_TOKEN is set.
local token = os.getenv("BENCH_TOKEN") or ""
request = function()
  local headers = {}
  if token ~= "" then headers["Authorization"] = "Bearer " .. token end
  return wrk.format("GET", os.getenv("BENCH_PATH"), headers)
end
