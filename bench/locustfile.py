"""bench/locustfile.py: Locust's side of bench/throughput.sh.

FastHttpUser, no wait time, a distinct JSON rerank body per request (the
query holds a counter), the status checked -- the same work as
bench/qvrrun_bench.lua.

  locust --headless -f bench/locustfile.py -u 50 -r 50 -t 10s \
      -H http://127.0.0.1:PORT --csv OUT --only-summary
"""
import itertools

from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser

_seq = itertools.count(1)
_HEADERS = {"Content-Type": "application/json"}


class Rerank(FastHttpUser):
    wait_time = constant(0)

    @task
    def rerank(self):
        body = '{"query":"q%d","documents":["a","b","c"]}' % next(_seq)
        with self.client.post("/api/rerank", data=body, headers=_HEADERS,
                              catch_response=True) as r:
            if r.status_code != 200:
                r.failure("status %d" % r.status_code)
