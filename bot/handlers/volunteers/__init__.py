"""Volunteers: the volunteer sign-up form."""
