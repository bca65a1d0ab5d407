"""Account: start (language and privacy consent), the main menu, "my data"."""
