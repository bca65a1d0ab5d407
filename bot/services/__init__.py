"""Business rules, each once: every action a person or the system can take (register a family,
offer a stall, cancel a shift, schedule a broadcast, delete a person's data) is one function here,
called alike by chat handlers, the web workspace, the CLI and scheduler jobs.

A service takes a `bot.core.unit.Unit` (the transaction, who acts, when) and plain values, and
returns a typed result or raises a `bot.services.errors.ServiceError`. It writes its audit row
and queues its notices in the unit's transaction. It imports no handler, channel or web code.
"""
