"""The end-to-end tests not run on the Redis store yet (run.py --redis), each
with its reason: they need store operations the Redis backend does not have
yet (they answer Unavailable "not implemented on the Redis backend yet").
run.py prints every one as SKIP with its reason, and counts them on the
closing lines: nothing is skipped silently. The C++ contract suite has the
same list (src/store/redis/redis_contract_skips.cc).

Two lists, one per piece of work, so that whoever implements one deletes
only its own lines. An entry is a test id prefix (a module, a class or one
test, e.g. "test_rewards." or "test_files.Files.test_upload"). Delete an
entry as soon as its tests pass on Redis.
"""

# ---- identity, files, marketplace (issue 14, branch `redis`) ----
# Empty: every identity, file and marketplace test runs on Redis.
FILES = "files/marketplace/identity operations not implemented on Redis yet (issue 14)"
FILES_NOT_YET = [
    # FILES-LIST-BEGIN
    # FILES-LIST-END
]

# ---- rewards ledger, referrals, distribution runs (branch `redis-ledger`) ----
# Empty: every ledger, referral and run test runs on Redis.
LEDGER = "ledger/referral/run operations not implemented on Redis yet (issue 14)"
LEDGER_NOT_YET = [
    # LEDGER-LIST-BEGIN
    # LEDGER-LIST-END
]


def reason(test_id):
    """Why the test does not run on Redis, or None when it runs."""
    for entries, why in ((FILES_NOT_YET, FILES), (LEDGER_NOT_YET, LEDGER)):
        for prefix in entries:
            if test_id == prefix or test_id.startswith(prefix):
                return why
    return None
