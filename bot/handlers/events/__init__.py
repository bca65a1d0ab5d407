"""Events and volunteer shifts (issue 6)."""
