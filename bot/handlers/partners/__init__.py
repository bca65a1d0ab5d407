"""Partner organisations in chat (issue 15 item 1): registration, joining as a representative,
"my organisation", answering staff's questions and the staff review."""
