-- A chat completion request: the same short, safe conversation every time (a warm verdict cache hits on it).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("GUARDRAIL_BENCH_KEY")
wrk.body = '{"model":"llama-3-8b","messages":[{"role":"user","content":"What is the weather like in Paris in spring?"}]}'
