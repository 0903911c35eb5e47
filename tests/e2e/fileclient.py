"""Node-side calls of /api/files (docs/FILES.md) for the end-to-end tests:
plain http.client, one connection per request, the principal in the
x-user-principal-id header, or a v2 node's REST token when `principal` is
"token:<token>" (a principal that signed in with v2 is refused by bare name)."""

import base64
import hashlib
import json

from jobclient import http_call


def who(principal):
    """The header naming the caller: its v2 token, or the bare principal."""
    if principal.startswith("token:"):
        return ("Authorization", "Bearer " + principal[len("token:"):])
    return ("x-user-principal-id", principal)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def create(port, principal, size, name="result.bin", content_type="application/octet-stream", job_id=None,
           chunk_size=None, sha=None, extra=None):
    body = {"name": name, "content_type": content_type, "size": size}
    if job_id is not None:
        body["job_id"] = job_id
    if chunk_size is not None:
        body["chunk_size"] = chunk_size
    if sha is not None:
        body["sha256"] = sha
    body.update(extra or {})
    return http_call(port, "POST", "/api/files", body=body, headers=[who(principal)])


def put_raw(port, principal, file_id, index, data, sha=None, path_id=None):
    """One chunk as a raw application/octet-stream body (streamed to disk)."""
    query = f"chunk_index={index}" + (f"&sha256={sha}" if sha else "")
    return http_call(port, "POST", f"/api/files/{path_id or file_id}/chunks?{query}", raw_body=data,
                     headers=[who(principal), ("Content-Type", "application/octet-stream")])


def put_b64(port, principal, file_id, index, data, sha=None):
    """One chunk as the original's clients send it: base64 in JSON."""
    body = {"chunk_index": index, "chunk_data": base64.b64encode(data).decode()}
    if sha:
        body["sha256"] = sha
    return http_call(port, "POST", f"/api/files/{file_id}/chunks", body=body,
                     headers=[who(principal)])


def complete(port, principal, file_id):
    return http_call(port, "POST", f"/api/files/{file_id}/complete", headers=[who(principal)])


def get(port, principal, path, method="GET", headers=()):
    return http_call(port, method, path, headers=[who(principal), *headers])


def upload(port, principal, data, chunk_size, order=None, job_id=None, content_type="application/octet-stream",
           raw=True):
    """Creates, sends every chunk (in `order`, repeats allowed) and completes;
    returns the file id. Fails the calling test through AssertionError."""
    r = create(port, principal, len(data), job_id=job_id, chunk_size=chunk_size, sha=sha256(data),
               content_type=content_type)
    assert r.status == 201, r
    file_id = r.doc["data"]["file_id"]
    count = (len(data) + chunk_size - 1) // chunk_size
    for i in (order if order is not None else range(count)):
        chunk = data[i * chunk_size:(i + 1) * chunk_size]
        put = put_raw if raw else put_b64
        r = put(port, principal, file_id, i, chunk, sha=sha256(chunk))
        assert r.status == 200, (i, r)
    r = complete(port, principal, file_id)
    assert r.status == 200, r
    assert r.doc["data"]["sha256"] == sha256(data), r
    return file_id


def result_with_file(job_id, file_id):
    return {"job_id": job_id, "file_id": file_id}


def dumps(value):
    return json.dumps(value)
