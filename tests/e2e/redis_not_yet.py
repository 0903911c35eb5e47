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

# ---- tests that read or write the SQLite file itself (not a missing operation) ----
# They set up or inspect state through $DATA_PATH/sela.db, which a server on
# Redis does not have; their routes run on Redis in other tests. To do: read
# and write through Redis as test_uptime_crash.read_uptime_redis does.
SQLITE_FILE = "reads or writes the SQLite file directly (no such file on Redis)"
SQLITE_FILE_ONLY = [
    "test_reward_routes.RewardRoutes.test_a_referee_registers_itself_and_the_referrer_sees_it",
    "test_reward_routes.RewardRoutes.test_bad_input_is_a_4xx_and_writes_nothing",
    "test_reward_routes.RewardRoutes.test_paid_uptime_shows_in_user_data_history_and_chart_and_a_run_twice_pays_once",
]


def reason(test_id):
    """Why the test does not run on Redis, or None when it runs."""
    for entries, why in ((FILES_NOT_YET, FILES), (LEDGER_NOT_YET, LEDGER), (SQLITE_FILE_ONLY, SQLITE_FILE)):
        for prefix in entries:
            if test_id == prefix or test_id.startswith(prefix):
                return why
    return None
