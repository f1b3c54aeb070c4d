"""Residents in WeChat, the bot's side: what staff decisions tell the resident."""
