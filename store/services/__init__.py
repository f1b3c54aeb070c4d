"""Checklists given (办事清单) and applications made in chat (办事申请)."""
