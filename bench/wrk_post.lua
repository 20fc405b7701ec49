-- wrk script: POST /api/comments with an API key, each request a different author, thread and text.
--   API_KEY=... wrk -t2 -c32 -d10s -s bench/wrk_post.lua http://127.0.0.1:8000
-- (python -m bench.wrk starts a service, makes the key and runs exactly this.)
-- With PEER=isso it posts the same comments to Isso's POST /new instead (python -m bench.peer).
local key = os.getenv("API_KEY") or ""
local isso = os.getenv("PEER") == "isso"
local phrases = {"这篇报道写得很好", "希望有关部门继续跟进", "老旧小区加装电梯是好事", "费用分摊要公开透明",
                 "我们小区去年也改造了", "现在停车方便多了", "施工期间噪音太大", "老人上下楼终于方便了",
                 "I agree with the article", "thanks for the update", "支持", "期待后续报道"}
local counter = 0
local thread_id = 0

setup = function(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end

init = function(args)
  math.randomseed(thread_id * 7919 + 1)
end

request = function()
  counter = counter + 1
  local n = math.random(3, 5)
  local parts = {}
  for i = 1, n do parts[i] = phrases[math.random(#phrases)] end
  local text = table.concat(parts, "，")
  if isso then
    local body = string.format('{"author":"读者%d-%d","text":"%s。","title":"基准"}', thread_id, counter, text)
    return wrk.format("POST", string.format("/new?uri=/wrk/%d.html", counter % 50),
                      {["Content-Type"] = "application/json"}, body)
  end
  local body = string.format('{"thread":"/wrk/%d.html","author":"读者%d-%d","text":"%s。"}',
                             counter % 50, thread_id, counter, text)
  return wrk.format("POST", "/api/comments",
                    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}, body)
end

response = function(status, headers, body)
  if status ~= (isso and 201 or 202) then
    io.stderr:write("status " .. status .. "\n")
  end
end
