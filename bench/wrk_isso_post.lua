-- wrk script: POST /new to Isso (python -m bench.peer), each request a different author, thread and text,
-- as bench/wrk_post.lua does for Moderato.
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
  local body = string.format('{"author":"读者%d-%d","text":"%s。","title":"基准"}', thread_id, counter,
                             table.concat(parts, "，"))
  return wrk.format("POST", string.format("/new?uri=/wrk/%d.html", counter % 50),
                    {["Content-Type"] = "application/json"}, body)
end
