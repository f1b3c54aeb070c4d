"""Confirmation campaigns: staff ask chosen residents in WeChat to confirm their details."""
