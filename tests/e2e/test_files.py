"""Files and large results end to end (docs/FILES.md; issue 13) against the
real server: nodes (`websockets`) upload over /api/files with http.client,
customers read results over /api/rpc.

- a 50 MiB binary result uploaded in chunks out of order, one of them twice,
  read back by the customer whole and by ranges with the same SHA-256;
- a 5 MiB result arriving as a file (base64 chunks, as the original's
  clients send them) and returned by the customer's scrapeUrl;
- a result over WS_MAX_MESSAGE_BYTES fails its job at once, naming the
  limit, and the node's connection stays open;
- a node cannot touch another node's files; bad input of every kind gets a
  clear 4xx and changes nothing; a full disk mid-upload (a file-size limit
  on the server process) is a 507 that leaves no blob.
"""

import asyncio
import hashlib
import json
import os
import random

import fileclient as fc
from test_jobs import JobsTestCase

MIB = 1024 * 1024


class FilesTestCase(JobsTestCase):

    def blobs(self):
        """Complete files on disk: DATA_PATH/blobs/<aa>/<sha256>."""
        root = os.path.join(self.server.workdir, "data", "blobs")
        out = []
        for d in os.listdir(root):
            if d != "uploads":
                out += os.listdir(os.path.join(root, d))
        return sorted(out)

    def uploads_on_disk(self):
        return sorted(os.listdir(os.path.join(self.server.workdir, "data", "blobs", "uploads")))

    async def leased_job(self, key, node, kind="TWITTER_POST"):
        job_id = self.add_job(key, kind=kind)
        await node.dispatch(job_id)
        return job_id


class LargeResults(FilesTestCase):

    def test_a_50_mib_binary_result_uploaded_out_of_order_reads_back_whole_and_by_ranges(self):
        self.serve()
        key = self.customer()
        data = random.Random(13).randbytes(50 * MIB + 12345)
        digest = fc.sha256(data)
        chunk = 4 * MIB
        count = (len(data) + chunk - 1) // chunk
        order = list(range(count))
        random.Random(5).shuffle(order)
        order.insert(3, order[1])  # One chunk twice.

        async def go():
            node = await fc_node(self.port, "node-files-a")
            job_id = await self.leased_job(key, node)
            file_id = await asyncio.to_thread(fc.upload, self.port, node.principal, data, chunk, order, job_id)
            await node.send("TWITTER_SCRAPE_RESULT", job_id=job_id, file_id=file_id)
            reply = await node.reply()
            self.check_complete(reply, job_id)
            await node.close()
            return job_id, file_id

        job_id, file_id = self.run_async(go())
        job = self.job(key, job_id)
        self.assertEqual(job["state"], "completed")
        self.assertEqual(job["storedID"], digest)
        self.assertEqual(job["resultFileId"], file_id)
        self.assertEqual(job["fileSizeKB"], (len(data) + 1023) // 1024)
        whole = self.rpc("GET", f"job/{job_id}/download", key=key)
        self.assertEqual(whole.status, 200)
        self.assertEqual(hashlib.sha256(whole.body).hexdigest(), digest)
        self.assertEqual(whole.header("ETag"), f'"{digest}"')
        self.assertEqual(whole.header("Accept-Ranges"), "bytes")
        self.assertEqual(whole.header("Content-Type"), "application/octet-stream")
        parts = []
        step = 7 * MIB + 3
        for first in range(0, len(data), step):
            last = min(first + step, len(data)) - 1
            r = self.rpc("GET", f"job/{job_id}/download", key=key, headers=[("Range", f"bytes={first}-{last}")])
            self.assertEqual(r.status, 206, r)
            self.assertEqual(r.header("Content-Range"), f"bytes {first}-{last}/{len(data)}")
            parts.append(r.body)
        self.assertEqual(hashlib.sha256(b"".join(parts)).hexdigest(), digest)
        tail = self.rpc("GET", f"job/{job_id}/download", key=key, headers=[("Range", "bytes=-1000")])
        self.assertEqual(tail.body, data[-1000:])
        self.assertEqual(self.rpc("GET", f"job/{job_id}/download", key=key,
                                  headers=[("If-None-Match", f'"{digest}"')]).status, 304)
        past = self.rpc("GET", f"job/{job_id}/download", key=key, headers=[("Range", f"bytes={len(data)}-")])
        self.assertEqual(past.status, 416)
        self.assertEqual(past.header("Content-Range"), f"bytes */{len(data)}")
        self.assertEqual(self.blobs(), [digest])
        self.assertEqual(self.uploads_on_disk(), [])
        # The node still sees its file, complete, and cannot delete a job's result.
        meta = fc.get(self.port, "node-files-a", f"/api/files/{file_id}")
        self.assertEqual(meta.doc["data"]["hash"], digest)
        self.e1_error(fc.get(self.port, "node-files-a", f"/api/files/{file_id}", method="DELETE"), 409)

    def test_a_5_mib_result_arriving_as_a_file_is_what_scrape_url_returns(self):
        self.serve()
        key = self.customer()
        items = [{"id": str(i), "text": "x" * 60, "likes": i} for i in range(60_000)]
        result = json.dumps(items).encode()
        self.assertGreater(len(result), 5 * MIB)

        async def go():
            node = await fc_node(self.port, "node-files-b")
            pending = self.scrape_async(key, {"url": "https://x.com/a/status/1", "scrapeType": "TWITTER_PROFILE"})
            frame = await node.dispatch()
            job_id = frame["job_id"]
            file_id = await asyncio.to_thread(fc.upload, self.port, node.principal, result, MIB, None, job_id,
                                              "application/json", False)
            await node.send("TWITTER_SCRAPE_RESULT", job_id=job_id, file_id=file_id)
            self.check_complete(await node.reply(), job_id)
            reply = await pending
            await node.close()
            return job_id, reply

        job_id, reply = self.run_async(go())
        data = self.ok(reply, "URL scraping completed successfully")
        self.assertEqual(data["function"], "ScrapeComplete")
        self.assertEqual(data["result"], items)
        self.assertEqual(data["pricing"]["objectsCount"], 60_000)
        self.assertEqual(data["contentAnalysis"]["objectsCount"], 60_000)
        content = self.ok(self.rpc("GET", f"getFileContent?jobID={job_id}", key=key))
        self.assertEqual(json.loads(content["ok"]), items)

    def test_a_result_over_the_message_limit_fails_its_job_at_once_and_the_node_stays(self):
        self.serve(WS_MAX_MESSAGE_BYTES=65536)
        key = self.customer()

        async def go():
            node = await fc_node(self.port, "node-files-c")
            pending = self.scrape_async(key, {"url": "https://x.com/a/status/1", "scrapeType": "TWITTER_POST",
                                              "timeoutMs": 30000})
            job_id = (await node.dispatch())["job_id"]
            loop = asyncio.get_running_loop()
            started = loop.time()
            await node.send("TWITTER_SCRAPE_RESULT", job_id=job_id, data=json.dumps([{"t": "y" * 300_000}]))
            refused = await node.reply()
            await node.sync()  # The connection goes on.
            reply = await pending
            elapsed = loop.time() - started
            await node.close()
            return job_id, refused, reply, elapsed

        job_id, refused, reply, elapsed = self.run_async(go())
        self.assertEqual(refused["errorType"], "RESULT_TOO_LARGE", refused)
        self.assertIn("over WS_MAX_MESSAGE_BYTES (65536 bytes)", refused["message"])
        self.assertLess(elapsed, 5.0)  # At once, not after the 30 s timeout.
        self.assertEqual(reply.status, 408, reply)
        self.assertIn("over WS_MAX_MESSAGE_BYTES (65536 bytes)", reply.doc["message"])
        job = self.job(key, job_id)
        self.assertEqual(job["state"], "failed")
        self.assertEqual(job["attempts"], 1)  # Not retried elsewhere.
        self.assertIn("WS_MAX_MESSAGE_BYTES", job["error"])

    def test_a_result_file_over_file_bytes_max_fails_its_job_at_once(self):
        self.serve(FILE_BYTES_MAX=1000000)
        key = self.customer()

        async def go():
            node = await fc_node(self.port, "node-files-d")
            job_id = await self.leased_job(key, node)
            r = await asyncio.to_thread(fc.create, self.port, node.principal, 1000001, job_id=job_id)
            await node.close()
            return job_id, r

        job_id, r = self.run_async(go())
        self.e1_error(r, 413, "size 1000001 is over FILE_BYTES_MAX (1000000 bytes)")
        job = self.job(key, job_id)
        self.assertEqual(job["state"], "failed")
        self.assertIn("FILE_BYTES_MAX", job["error"])


async def fc_node(port, principal):
    from jobclient import Node
    return await Node.connect(port, principal)


class Ownership(FilesTestCase):

    def test_a_node_cannot_touch_another_nodes_files(self):
        self.serve()
        key = self.customer()
        data = b"private bytes of node a"

        async def go():
            a = await fc_node(self.port, "node-own-a")
            job_id = await self.leased_job(key, a)
            r = await asyncio.to_thread(fc.create, self.port, "node-own-a", len(data), job_id=job_id)
            self.assertEqual(r.status, 201, r)
            file_id = r.doc["data"]["file_id"]
            # Another node may not tie a file to a job it does not hold.
            other = await asyncio.to_thread(fc.create, self.port, "node-own-b", 5, job_id=job_id)
            await a.close()
            return file_id, other

        file_id, other = self.run_async(go())
        self.e1_error(other, 403, "The job is not leased to this node")
        b = "node-own-b"
        self.e1_error(fc.put_raw(self.port, b, file_id, 0, data), 403, "Unauthorized access to file")
        self.e1_error(fc.put_b64(self.port, b, file_id, 0, data), 403, "Unauthorized access to file")
        self.e1_error(fc.complete(self.port, b, file_id), 403, "Unauthorized access to file")
        self.e1_error(fc.get(self.port, b, f"/api/files/{file_id}"), 403, "Unauthorized access to file")
        self.e1_error(fc.get(self.port, b, f"/api/files/{file_id}/download"), 404, "File not found or access denied")
        self.e1_error(fc.get(self.port, b, f"/api/files/{file_id}", method="DELETE"), 403)
        self.assertEqual(self.ok(fc.get(self.port, b, "/api/files")), [])
        # The owner's upload is untouched and completes.
        self.assertEqual(fc.put_raw(self.port, "node-own-a", file_id, 0, data).status, 200)
        done = fc.complete(self.port, "node-own-a", file_id)
        self.assertEqual(done.doc["data"]["sha256"], fc.sha256(data))
        self.assertEqual(fc.get(self.port, "node-own-a", f"/api/files/{file_id}/download").body, data)
        listed = self.ok(fc.get(self.port, "node-own-a", "/api/files"))
        self.assertEqual([f["id"] for f in listed], [file_id])
        self.assertNotIn("file_path", listed[0])
        # Without a principal: 401 before anything else.
        self.e1_error(fc.http_call(self.port, "GET", f"/api/files/{file_id}"), 401)


class BadInput(FilesTestCase):

    def test_traversal_hashes_indexes_and_sizes_that_lie_get_clear_errors_and_change_nothing(self):
        self.serve()
        p = "node-bad"
        for name in ("../../etc/passwd", "a/b", "..", "x\\y", 'a"b'):
            self.e1_error(fc.create(self.port, p, 10, name=name), 400)
        self.e1_error(fc.create(self.port, p, 10, job_id="../../jobs"), 400, "Invalid job_id")
        self.e1_error(fc.create(self.port, p, 10, content_type="text/plain\r\nX-Evil: 1"), 400)
        self.e1_error(fc.create(self.port, p, 10, sha="NOT-A-HASH"), 400, "sha256 must be 64 lowercase hex digits")
        self.e1_error(fc.create(self.port, p, 0), 400, "Missing required fields: name, content_type, size")
        self.e1_error(fc.create(self.port, p, 10, chunk_size=11), 400, "chunk_size is larger than size")
        for bad_id in ("..%2F..%2Fetc%2Fpasswd", "file%00x", "%2E%2E"):
            self.e1_error(fc.put_raw(self.port, p, None, 0, b"x", path_id=bad_id), 400, "Invalid file id")
            self.e1_error(fc.get(self.port, p, f"/api/files/{bad_id}"), 400, "Invalid file id")
        self.e1_error(fc.put_raw(self.port, p, None, 0, b"x", path_id="file_1_0123456789abcdef"), 404,
                      "File not found")
        data = os.urandom(10_000)
        r = fc.create(self.port, p, len(data), chunk_size=4000, sha=fc.sha256(data))
        file_id = r.doc["data"]["file_id"]
        self.e1_error(fc.put_raw(self.port, p, file_id, 0, data[:4000], sha=fc.sha256(b"other")), 400)
        self.e1_error(fc.put_raw(self.port, p, file_id, 3, data[:2000]), 400)   # Past the last chunk.
        self.e1_error(fc.put_raw(self.port, p, file_id, 0, data[:3999]), 400)   # Shorter than chunk_size.
        self.e1_error(fc.put_b64(self.port, p, file_id, 0, b""), 400, "chunk_data is required")
        bad_b64 = fc.http_call(self.port, "POST", f"/api/files/{file_id}/chunks",
                               body={"chunk_index": 0, "chunk_data": "@@@@"}, headers=[("x-user-principal-id", p)])
        self.e1_error(bad_b64, 400)
        self.e1_error(fc.put_raw(self.port, p, file_id, -1, data[:10]), 400)
        # Chunk 1 and 2 only: completion names the missing chunk 0.
        self.assertEqual(fc.put_raw(self.port, p, file_id, 1, data[4000:8000]).status, 200)
        self.assertEqual(fc.put_raw(self.port, p, file_id, 2, data[8000:]).status, 200)
        self.e1_error(fc.complete(self.port, p, file_id), 400,
                      "Missing chunks: 0 (chunks 0 to 2 expected); nothing was completed")
        # A chunk again with other bytes is refused; the same bytes are a repeat.
        self.e1_error(fc.put_raw(self.port, p, file_id, 1, os.urandom(4000)), 409)
        again = fc.put_raw(self.port, p, file_id, 1, data[4000:8000])
        self.assertIs(self.ok(again)["repeat"], True)
        self.assertEqual(fc.put_raw(self.port, p, file_id, 0, data[:4000]).status, 200)
        self.assertEqual(self.ok(fc.complete(self.port, p, file_id))["sha256"], fc.sha256(data))
        self.assertEqual(fc.get(self.port, p, f"/api/files/{file_id}/download").body, data)
        # A declared file hash that the chunks do not match: no blob, upload kept.
        r = fc.create(self.port, p, 6, sha=fc.sha256(b"abcdeX"))
        lie = r.doc["data"]["file_id"]
        self.assertEqual(fc.put_raw(self.port, p, lie, 0, b"abcdef").status, 200)
        wrong = fc.complete(self.port, p, lie)
        self.e1_error(wrong, 400)
        self.assertIn("SHA-256 mismatch", wrong.doc["message"])
        self.assertEqual(self.blobs(), [fc.sha256(data)])
        self.assertEqual(self.ok(fc.get(self.port, p, f"/api/files/{lie}"))["state"], "uploading")

    def test_a_full_disk_mid_upload_is_507_and_leaves_no_blob(self):
        # A file-size limit on the server process: writes past 3 MiB fail as
        # on a full disk (EFBIG), for this upload's part file.
        self.server = self.start_server({}, wrapper=["prlimit", f"--fsize={3 * MIB}", "--"])
        self.port = self.server.port
        p = "node-disk"
        data = os.urandom(4 * MIB)
        r = fc.create(self.port, p, len(data), chunk_size=MIB, sha=fc.sha256(data))
        file_id = r.doc["data"]["file_id"]
        for i in range(3):
            self.assertEqual(fc.put_raw(self.port, p, file_id, i, data[i * MIB:(i + 1) * MIB]).status, 200)
        full = fc.put_raw(self.port, p, file_id, 3, data[3 * MIB:])
        self.e1_error(full, 507)
        self.assertIn("No space left", full.doc["message"])
        self.e1_error(fc.complete(self.port, p, file_id), 400,
                      "Missing chunks: 3 (chunks 0 to 3 expected); nothing was completed")
        self.assertEqual(self.blobs(), [])
        meta = self.ok(fc.get(self.port, p, f"/api/files/{file_id}"))
        self.assertEqual(meta["received_bytes"], 3 * MIB)
        self.assertEqual(meta["state"], "uploading")
        # The server goes on serving.
        self.assertEqual(fc.get(self.port, p, "/health").status, 200)
