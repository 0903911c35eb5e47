"""The suite's own Prometheus text parser (promtext.py) accepts the format and
rejects what is not in it, so that the metrics tests cannot pass on garbage.
No server is involved."""

import math
import unittest

import promtext

VALID = """# HELP req_total Requests.
# TYPE req_total counter
req_total{route="/a",status="200"} 3
req_total{route="/b\\"q\\\\\\n",status="404"} 1e3
# TYPE lat histogram
lat_bucket{le="0.1"} 1
lat_bucket{le="+Inf"} 2
lat_sum 0.25
lat_count 2
up 1 1700000000000
"""


class PromText(unittest.TestCase):

    def test_valid_exposition_is_parsed_with_labels_escapes_and_types(self):
        m = promtext.parse(VALID)
        self.assertEqual(m.value("req_total", route="/a", status="200"), 3)
        self.assertEqual(m.value("req_total", route='/b"q\\\n', status="404"), 1000)
        self.assertIsNone(m.value("req_total", route="/a"), "label sets must match exactly")
        self.assertEqual(m.type("req_total"), "counter")
        self.assertEqual(m.type("lat"), "histogram")
        self.assertEqual(m.value("lat_bucket", le="+Inf"), 2)
        self.assertEqual(m.value("up"), 1)

    def test_special_values_are_floats(self):
        m = promtext.parse("a +Inf\nb -Inf\nc NaN\n")
        self.assertEqual(m.value("a"), math.inf)
        self.assertEqual(m.value("b"), -math.inf)
        self.assertTrue(math.isnan(m.value("c")))

    def test_malformed_expositions_are_rejected(self):
        bad = {
            "no final newline": "a 1",
            "bad name": "1a 1\n",
            "no value": "a\n",
            "bad value": "a one\n",
            "unterminated label": 'a{x="1} 1\n',
            "bad escape": 'a{x="\\t"} 1\n',
            "label without quotes": "a{x=1} 1\n",
            "repeated series": "a 1\na 2\n",
            "repeated label": 'a{x="1",x="2"} 1\n',
            "unknown type": "# TYPE a thing\na 1\n",
            "type after samples": "a 1\n# TYPE a counter\n",
            "histogram without +Inf": '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n',
            "histogram not cumulative": ('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\n'
                                         'h_sum 1\nh_count 1\n'),
            "histogram count mismatch": '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n',
        }
        for what, text in bad.items():
            with self.assertRaises(promtext.ParseError, msg=what):
                promtext.parse(text)
