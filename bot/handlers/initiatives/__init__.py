"""Partner initiatives in chat (issue 15 item 2): a representative proposes one and follows it
("my initiatives", answering staff's question); staff review them from the staff panel."""
