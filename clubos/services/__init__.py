"""The ClubOS side of Clubroom, one module per job.

- `session`: the process's one logged-in client.
- `retries`: which errors are temporary, retrying them, one clear line per error.
- `lock`: one sync run at a time (a lease on the SyncControl row).
- `runs`: the control row (pause / resume / totals) and the run log.
- `matching`: pairing list items with history entries (how a sync recognises a message).
- `sink`: the contract with whoever stores synced messages (the inbox).
- `sync`: the sync run itself.
- `delivery`: one outbound attempt, answered as sent / refused / uncertain.
"""
