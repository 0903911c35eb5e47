"""Customer-side attacks of issue 11: job URLs that would make node owners'
devices fetch their own networks (cloud metadata, routers, the node's own
machine) are refused with 400, counted
(sela_security_refusals_total{reason="private_url"}) and create nothing (docs/JOB-URLS.md)."""

from secbase import SecurityCase, add_job, register_customer, rpc

ADDRESS = "url must not point at a loopback, private, link-local, multicast or reserved address"
IPV6 = "url must not point at a loopback, private, link-local or multicast address"
ATTACKS = [
    ("http://169.254.169.254/latest/meta-data/", ADDRESS),
    ("http://192.168.1.1/admin", ADDRESS),
    ("http://0x7f.1:8082/api/node/nodes", ADDRESS),  # 127.0.0.1 as browsers read it
    ("http://[::ffff:10.0.0.1]/", IPV6),
    ("http://localhost:8082/api/node/nodes", "url must not name this machine or a local network (localhost)"),
    ("http://printer.local/", "url must not name this machine or a local network (local)"),
    ("http://router/", "url must name a public host (a single-label name resolves on the local network)"),
]


class CustomerAttacks(SecurityCase):

    def test_job_urls_into_the_nodes_own_networks_are_refused_and_create_nothing(self):
        self.serve()
        key = register_customer(self.port, "url-prober")
        before = self.snapshot()
        counted = self.refusals("private_url")
        for url, message in ATTACKS:
            for route, body in (("addJob", {"url": url, "scrapeType": "HTML"}),
                                ("scrapeUrl", {"url": url, "scrapeType": "HTML", "timeoutMs": 1000})):
                r = rpc(self.port, "POST", route, body, key)
                self.assertEqual((r.status, r.doc.get("message")), (400, message), f"{route} {url}: {r!r}")
        self.wait_refusals("private_url", counted + 2 * len(ATTACKS))
        self.assert_unchanged(before, "job URLs into private networks")

    def test_allow_private_urls_lets_a_private_deployment_name_its_intranet(self):
        self.serve(ALLOW_PRIVATE_URLS="true")
        key = register_customer(self.port, "intranet")
        job_id = add_job(self.port, key, url="http://192.168.1.1/status", kind="HTML")
        self.assertEqual(self.db_rows(f"SELECT target FROM jobs WHERE job_id = '{job_id}'"),
                         [("http://192.168.1.1/status",)])
