"""Residents in WeChat: bindings (self and family proxy), registrations, self-reports."""
