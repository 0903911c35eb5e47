"""Less disclosure (issue 11, item 7): /metrics can require a token
(METRICS_TOKEN); without it the request is refused with 401, counted and
logged, and shows nothing. Another customer's job answers exactly as a
missing one, so predictable ids reveal nothing."""

import json

from jobclient import http_call
from secbase import REFUSALS, SecurityCase, add_job, register_customer, rpc

TOKEN = "m" * 40


class Disclosure(SecurityCase):

    def metrics_text(self, auth_header=None):
        r = http_call(self.port, "GET", "/metrics", auth_header=auth_header)
        return r.status, r.body.decode("utf-8", "replace")

    def refused_count(self):
        status, text = self.metrics_text(f"Bearer {TOKEN}")
        self.assertEqual(status, 200)
        line = f'{REFUSALS}{{reason="metrics_token_refused"}} '
        values = [ln[len(line):] for ln in text.splitlines() if ln.startswith(line)]
        self.assertEqual(len(values), 1, text)
        return int(float(values[0]))

    def test_metrics_need_the_token_when_one_is_set(self):
        self.serve(METRICS_TOKEN=TOKEN)
        before = self.refused_count()
        for header, message in ((None, "Authorization header is required"),
                                ("Basic bWU6eW91", 'Authorization header must start with "Bearer "'),
                                ("Bearer " + "x" * 40, "Invalid authorization token"),
                                ("Bearer " + TOKEN[:-1], "Invalid authorization token")):
            status, text = self.metrics_text(header)
            self.assertEqual((status, json.loads(text)["message"]), (401, message), text)
            self.assertNotIn(REFUSALS, text)
        self.assertEqual(self.refused_count(), before + 4)

    def test_metrics_stay_open_without_a_token(self):
        self.serve()
        status, text = self.metrics_text()
        self.assertEqual(status, 200)
        self.assertIn(REFUSALS, text)

    def test_another_customers_job_answers_as_a_missing_one(self):
        self.serve()
        owner = register_customer(self.port, "owner")
        prober = register_customer(self.port, "prober")
        job_id = add_job(self.port, owner)
        missing = job_id[:-1] + ("1" if job_id[-1] != "1" else "2")
        for path in ("job/id?id={}", "getFileContent?jobID={}", "job/{}/download"):
            foreign = rpc(self.port, "GET", path.format(job_id), key=prober)
            absent = rpc(self.port, "GET", path.format(missing), key=prober)
            self.assertEqual((foreign.status, foreign.body), (404, absent.body), path)
            self.assertEqual(json.loads(foreign.body)["message"], "Job not found")
        # The owner still reads it.
        self.assertEqual(rpc(self.port, "GET", f"job/id?id={job_id}", key=owner).status, 200)

    def test_client_status_needs_the_clients_own_key(self):
        self.serve()
        register_customer(self.port, "owner")
        prober = register_customer(self.port, "prober")
        self.assertEqual(rpc(self.port, "GET", "getClientStatus?uuid=owner").status, 401)
        foreign = rpc(self.port, "GET", "getClientStatus?uuid=owner", key=prober)
        absent = rpc(self.port, "GET", "getClientStatus?uuid=nobody", key=prober)
        self.assertEqual((foreign.status, foreign.body), (404, absent.body))
        own = rpc(self.port, "GET", "getClientStatus?uuid=prober", key=prober)
        self.assertEqual((own.status, json.loads(own.body)["data"]["usageLimit"]), (200, 10000))
