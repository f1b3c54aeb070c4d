"""Checklists and applications (办事) as every entry point shares them: the webhook's appliers,
the status changes staff make from the console and the API, and what the resident hears."""
