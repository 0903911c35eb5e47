"""Configuration: bad values stop start-up; `.env` is read; the environment wins."""

import os
import socket

import proc
from e2ebase import E2ETestCase

EXIT_TIMEOUT_S = 5.0  # a refused configuration must end the process quickly


def assert_refused(tc, env, *names, workdir=None):
    """The server exits non-zero without listening, naming one of `names`."""
    code, output, port_written = proc.run_expecting_failure(env, workdir, EXIT_TIMEOUT_S)
    tc.assertNotEqual(code, 0, f"server started with {env}; output:\n{output}")
    tc.assertGreater(code, 0, f"server {proc.describe_status(code)} instead of exiting")
    tc.assertFalse(port_written, "the server wrote PORT_FILE although its configuration is bad")
    tc.assertTrue(any(n in output for n in names),
                  f"start-up error does not mention {' or '.join(names)}:\n{output}")
    return output


class BadConfiguration(E2ETestCase):

    def assert_refused(self, env, *names, workdir=None):
        return assert_refused(self, env, *names, workdir=workdir)

    def test_port_that_is_not_a_number_stops_startup(self):
        self.assert_refused({"PORT": "80a"}, "PORT")

    def test_port_out_of_range_stops_startup(self):
        self.assert_refused({"PORT": "65536"}, "PORT")

    def test_unknown_log_level_stops_startup(self):
        self.assert_refused({"LOG_LEVEL": "loud"}, "LOG_LEVEL")

    def test_ws_max_message_bytes_below_minimum_stops_startup(self):
        self.assert_refused({"WS_MAX_MESSAGE_BYTES": "10"}, "WS_MAX_MESSAGE_BYTES")

    def test_tls_cert_without_key_stops_startup(self):
        cert = os.path.join(proc.new_workdir("tlsonly"), "cert.pem")
        with open(cert, "w") as f:
            f.write("not used\n")
        self.assert_refused({"TLS_CERT_FILE": cert}, "TLS_KEY_FILE")

    def test_tls_key_without_cert_stops_startup(self):
        key = os.path.join(proc.new_workdir("tlsonly"), "key.pem")
        with open(key, "w") as f:
            f.write("not used\n")
        self.assert_refused({"TLS_KEY_FILE": key}, "TLS_CERT_FILE")

    def test_port_already_in_use_stops_startup(self):
        # Another program's listener (not SO_REUSEPORT): a server on the
        # Redis store, which shares its port with its peers, is refused too.
        blocker = socket.socket()
        try:
            blocker.bind(("127.0.0.1", 0))
            blocker.listen()
            port = blocker.getsockname()[1]
            self.assert_refused({"PORT": str(port)}, str(port))
        finally:
            blocker.close()


class DotEnv(E2ETestCase):
    """A `.env` in the server's working directory is read; the environment wins."""

    def workdir_with_dotenv(self, text):
        d = proc.new_workdir("dotenv")
        with open(os.path.join(d, ".env"), "w") as f:
            f.write(text)
        return d

    def header_status(self, port, filler_bytes):
        return self.get("/health", port, headers=[("X-Filler", "a" * filler_bytes)]).status

    def test_dotenv_setting_takes_effect(self):
        d = self.workdir_with_dotenv("# limits\nHTTP_MAX_HEADER_BYTES=2048\n")
        p = self.start_server(workdir=d)
        self.assertEqual(self.header_status(p.port, 1500), 200)
        self.assertEqual(self.header_status(p.port, 3000), 431,
                         "HTTP_MAX_HEADER_BYTES=2048 from .env was not applied")

    def test_environment_wins_over_dotenv(self):
        d = self.workdir_with_dotenv("HTTP_MAX_HEADER_BYTES=2048\n")
        p = self.start_server({"HTTP_MAX_HEADER_BYTES": "8192"}, workdir=d)
        self.assertEqual(self.header_status(p.port, 3000), 200,
                         "HTTP_MAX_HEADER_BYTES from the environment must win over .env")
        self.assertEqual(self.header_status(p.port, 9000), 431)

    def test_environment_wins_over_a_bad_dotenv_value(self):
        d = self.workdir_with_dotenv("PORT=80a\n")
        p = self.start_server({"PORT": "0"}, workdir=d)
        self.assertEqual(self.get("/health", p.port).status, 200)

    def test_port_file_from_dotenv_is_written(self):
        d = proc.new_workdir("dotenv")
        port_file = os.path.join(d, "port-from-dotenv")
        with open(os.path.join(d, ".env"), "w") as f:
            f.write(f"PORT_FILE={port_file}\n")
        p = self.adopt(proc.ServerProcess({"PORT_FILE": None}, workdir=d, tag="dotenv"))
        p.spawn()
        port = p.wait_port(port_file, timeout=3.0)
        self.assertEqual(self.get("/health", port).status, 200)

    def test_bad_value_in_dotenv_stops_startup(self):
        d = self.workdir_with_dotenv("WS_MAX_MESSAGE_BYTES=10\n")
        assert_refused(self, {}, "WS_MAX_MESSAGE_BYTES", workdir=d)

    def test_malformed_dotenv_line_stops_startup(self):
        d = self.workdir_with_dotenv("HTTP_MAX_HEADER_BYTES=2048\nthis is not a setting\n")
        assert_refused(self, {}, ".env", workdir=d)
