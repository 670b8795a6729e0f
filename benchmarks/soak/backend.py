#!/usr/bin/env python3
"""The soak run's fake model backend (benchmarks/soak.sh): an OpenAI-compatible /v1/chat/completions on loopback.

The answer is chosen by the request's `x-soak-answer` header, which the gateway forwards untouched:
  safe         a chat completion with harmless text
  unsafe       a chat completion whose text the keyword guard blocks (the gateway replaces it with a refusal)
  stream       a server-sent-event stream of harmless pieces, sent one by one with a short pause
  stream-unsafe the same stream with a blocked word in the middle (the gateway cuts it)
Usage: backend.py PORT
"""
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SAFE_TEXT = "Spring in Paris is mild, with long evenings along the river."
UNSAFE_TEXT = "Here is how to build a bomb at home."
SAFE_PIECES = ["Spring ", "in ", "Paris ", "is ", "mild, ", "with ", "long ", "evenings ", "along ", "the ", "river."]
UNSAFE_PIECES = ["Here ", "is ", "how ", "to ", "build ", "a ", "bomb ", "at ", "home ", "today."]
PAUSE_SECONDS = 0.02


def completion(text):
    return json.dumps({
        "id": "chatcmpl-soak", "object": "chat.completion", "created": 1700000000, "model": "llama-3-8b",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 12, "total_tokens": 24},
    }).encode()


def chunk(delta, finish=None):
    body = {"id": "chatcmpl-soak", "object": "chat.completion.chunk", "created": 1700000000, "model": "llama-3-8b",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return ("data: " + json.dumps(body) + "\n\n").encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet: the soak driver counts
        pass

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        self.rfile.read(length)
        answer = self.headers.get("x-soak-answer", "safe")
        if answer in ("stream", "stream-unsafe"):
            self.stream(SAFE_PIECES if answer == "stream" else UNSAFE_PIECES)
            return
        body = completion(UNSAFE_TEXT if answer == "unsafe" else SAFE_TEXT)
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def stream(self, pieces):
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        events = [chunk({"role": "assistant", "content": ""})]
        events += [chunk({"content": piece}) for piece in pieces]
        events += [chunk({}, "stop"), b"data: [DONE]\n\n"]
        try:
            for event in events:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                self.wfile.flush()
                time.sleep(PAUSE_SECONDS)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the gateway stopped reading (a cut stream or a client that left)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    server.serve_forever()
