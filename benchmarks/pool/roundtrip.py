"""The bare HTTP floor under the pool's figure: each exported prompt (one JSON array of token ids per line) is posted
to one `guardrail serve` as the pool client posts it, over one kept-alive connection, one at a time, and the time
around the request minus the server's own `Server-Timing` is reported, p50 and p99. What the pool client adds above
this is the client's own work; this much is the loopback round trip and the machine's thread wake-ups.
Usage: roundtrip.py BASE-URL PROMPTS-FILE"""
import http.client
import json
import sys
import time
import urllib.parse

url = urllib.parse.urlsplit(sys.argv[1])
connection = http.client.HTTPConnection(url.hostname, url.port)
added = []
with open(sys.argv[2], encoding="utf-8") as prompts:
    for line in prompts:
        body = json.dumps({"prompt": json.loads(line), "max_tokens": 20, "temperature": 0, "logprobs": 20, "stream": False})
        started = time.perf_counter()
        connection.request("POST", "/v1/completions", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            sys.exit(f"the server answered HTTP {response.status}")
        server = float(response.getheader("Server-Timing").split("dur=")[1])
        added.append(elapsed - server)
added.sort()
print(f"Bare HTTP (Python http.client, one connection, one at a time): added per request over the server's own time "
      f"p50 {added[len(added) // 2]:.3f} ms, p99 {added[min(len(added) - 1, int(len(added) * 0.99))]:.3f} ms ({len(added)} requests)")
