"""Process assembly: each module wires a channel, the engine, storage, the sender and the
scheduler into one running process. Only bot.cli (the composition root) imports these."""
