"""Certificates of volunteer hours (issue 15 item 6): the request flow and /verify in chat."""
