"""Accessibility in the chat (issue 15): the features forms ask, the events filter, access needs."""
