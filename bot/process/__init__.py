"""Process assembly. `owner` is the one owner of a running process (sender, scheduler, doors,
signals, shutdown order); `telegram`, `whatsapp` and `outbox_runner` plug a channel into it.
Only bot.cli (the composition root) imports these."""
